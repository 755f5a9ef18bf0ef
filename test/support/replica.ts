import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { findFreePort } from './free-port.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN_SCRIPT = join(REPO_ROOT, 'dist', 'server', 'main.js');

/** Time allowed for a replica to load the model and pass GET /readyz, in ms. */
const READY_TIMEOUT_MS = 120_000;
/** Time allowed for a replica to exit after SIGTERM before it is killed, in ms. */
const STOP_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;

export interface ReplicaOptions {
  /** Redis URL for sessions and fan-out; without it the replica uses in-memory sessions. */
  redisUrl?: string;
  /** Extra environment variables, e.g. CATDOG_MAX_FPS. */
  env?: Record<string, string>;
}

/** One JSON log line of the replica (pino format). */
export interface ReplicaLogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/**
 * A real replica process, `node dist/server/main.js`, on a free port of 127.0.0.1 with
 * one inference worker. It keeps its port across restarts so clients can reconnect to it.
 * Requires a build (`npm run build`, which `npm test` runs first).
 *
 * @example
 * await using replica = await ReplicaProcess.start({ redisUrl: redis.url });
 * await fetch(`${replica.url}/readyz`);
 */
export class ReplicaProcess {
  readonly port: number;
  readonly options: ReplicaOptions;
  /** Every log line written since the first start, across restarts. */
  readonly logs: ReplicaLogRecord[] = [];
  /** Output that was not a JSON log line, e.g. a crash's stack trace. */
  readonly rawOutput: string[] = [];
  #child: ChildProcess | undefined;
  #exit: Promise<number | null> | undefined;
  #closed: Promise<void> | undefined;

  private constructor(port: number, options: ReplicaOptions) {
    this.port = port;
    this.options = options;
  }

  /** Starts a replica on a free port and waits until GET /readyz returns 200. */
  static async start(options: ReplicaOptions = {}): Promise<ReplicaProcess> {
    if (!existsSync(MAIN_SCRIPT)) throw new Error(`${MAIN_SCRIPT} is missing; run \`npm run build\` first`);

    const replica = new ReplicaProcess(await findFreePort(), options);
    await replica.#spawn();
    return replica;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Exit code of the last run, null while running or when a signal ended it. */
  get exitCode(): number | null {
    return this.#child?.exitCode ?? null;
  }

  /** Returns the log records whose message starts with `prefix`. */
  logsStartingWith(prefix: string): ReplicaLogRecord[] {
    return this.logs.filter((record) => record.msg.startsWith(prefix));
  }

  /** Sends SIGTERM and waits for a graceful exit; after STOP_TIMEOUT_MS it kills the process and throws. */
  async stop(): Promise<number | null> {
    return this.#signal('SIGTERM');
  }

  /** Kills the process at once with SIGKILL, as a crash or an out-of-memory kill would. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** Starts the process again on the same port and waits until it is ready. */
  async restart(): Promise<void> {
    if (this.#closed !== undefined) throw new Error('replica was closed; start a new one');
    if (this.running) await this.stop();
    await this.#spawn();
  }

  /** Kills the process if it still runs. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= this.kill();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #signal(signal: 'SIGTERM' | 'SIGKILL'): Promise<number | null> {
    const child = this.#child;
    const exit = this.#exit;
    if (child === undefined || exit === undefined || !this.running) return this.exitCode;

    child.kill(signal);
    const timedOut = await Promise.race([exit.then(() => false), delay(STOP_TIMEOUT_MS).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      throw new Error(`replica on port ${this.port} did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}`);
    }
    return exit;
  }

  async #spawn(): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      CATDOG_WORKERS: '1',
      LOG_LEVEL: 'debug',
      ...this.options.env,
    };
    // Redis settings from the outer environment must not point the replica at another Redis.
    delete env.REDIS_HOST;
    delete env.REDIS_PORT;
    delete env.REDIS_URL;
    if (this.options.redisUrl !== undefined) env.REDIS_URL = this.options.redisUrl;

    const child = spawn(process.execPath, [MAIN_SCRIPT], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));

    createInterface({ input: child.stdout! }).on('line', (line) => this.#recordLine(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.rawOutput.push(line));

    await this.#waitUntilReady();
  }

  #recordLine(line: string): void {
    try {
      this.logs.push(JSON.parse(line) as ReplicaLogRecord);
    } catch {
      this.rawOutput.push(line);
    }
  }

  async #waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;

    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(`replica on port ${this.port} exited with code ${this.exitCode} before it was ready:\n${this.#lastOutput()}`);
      }
      const response = await fetch(`${this.url}/readyz`).catch(() => undefined);
      if (response?.status === 200) return;
      await delay(POLL_INTERVAL_MS);
    }

    await this.kill();
    throw new Error(`replica on port ${this.port} did not pass GET /readyz within ${READY_TIMEOUT_MS} ms:\n${this.#lastOutput()}`);
  }

  #lastOutput(): string {
    const lines = [...this.logs.slice(-10).map((record) => JSON.stringify(record)), ...this.rawOutput.slice(-20)];
    return lines.join('\n') || '(no output)';
  }
}
