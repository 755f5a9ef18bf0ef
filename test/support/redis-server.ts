import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { findFreePort } from './free-port.js';

/** Time allowed for redis-server to start responding to PING, in ms. */
const START_TIMEOUT_MS = 15_000;
/** Time allowed for redis-server to exit after a signal before it is killed, in ms. */
const STOP_TIMEOUT_MS = 10_000;
/** Interval between two readiness probes, in ms. */
const POLL_INTERVAL_MS = 50;

export type StopSignal = 'SIGTERM' | 'SIGKILL';

/** Sends one PING over a fresh TCP connection and resolves true on `+PONG`. */
export function pingRedis(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';

    const finish = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };

    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/**
 * A real redis-server child process for tests: a free port on 127.0.0.1, its own temporary
 * data directory, append-only persistence on and RDB snapshots off, so a restart on the
 * same directory keeps the data. Never touches a system Redis service.
 *
 * @example
 * await using redis = await RedisServerProcess.start();
 * const url = redis.url; // redis://127.0.0.1:<port>
 */
export class RedisServerProcess {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;
  #closed: Promise<void> | undefined;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  /**
   * Starts redis-server in a new temporary directory and waits until it responds to PING.
   * Without `port` it picks a free one.
   */
  static async start(options: { port?: number } = {}): Promise<RedisServerProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'catdog-redis-'));
    const server = new RedisServerProcess(options.port ?? (await findFreePort()), dir);

    try {
      await server.#spawn();
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Path of the server's combined stdout and stderr, useful when a test fails. */
  get logPath(): string {
    return join(this.dir, 'redis-server.log');
  }

  /**
   * Stops the server and waits for the process to exit. SIGTERM lets Redis close its
   * clients and flush the append-only file; SIGKILL simulates a crash.
   */
  async stop(signal: StopSignal = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;

    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);

    const timedOut = await Promise.race([exited.then(() => false), delay(STOP_TIMEOUT_MS).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await exited;
    }
    this.#child = undefined;
  }

  /** Starts the server again on the same port and data directory. */
  async restart(): Promise<void> {
    if (this.#closed !== undefined) throw new Error('redis-server test process was closed; start a new one');
    await this.stop();
    await this.#spawn();
  }

  /** Stops the server and deletes its data directory. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.stop('SIGKILL');
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #spawn(): Promise<void> {
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--appendonly', 'yes',
      '--save', '',
      '--daemonize', 'no',
    ];

    // The log goes to a file, not a pipe, so a chatty server can never block on a full pipe.
    const logFd = openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn('redis-server', args, { stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }

    let exitCode: number | null | undefined;
    let spawnError: Error | undefined;
    child.once('exit', (code) => (exitCode = code));
    child.once('error', (error) => (spawnError = error));
    this.#child = child;

    await this.#waitUntilResponding(() => spawnError ?? (exitCode !== undefined ? `exited with code ${exitCode}` : undefined));
  }

  async #waitUntilResponding(failure: () => Error | string | undefined): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;

    while (Date.now() < deadline) {
      const problem = failure();
      if (problem !== undefined) {
        this.#child = undefined;
        throw new Error(`redis-server on port ${this.port} failed to start (${String(problem)}); is redis-server installed (apt-get install redis-server)? Log:\n${this.#readLog()}`);
      }
      if (await pingRedis(this.port)) return;
      await delay(POLL_INTERVAL_MS);
    }

    await this.stop('SIGKILL');
    throw new Error(`redis-server on port ${this.port} did not answer PING within ${START_TIMEOUT_MS} ms. Log:\n${this.#readLog()}`);
  }

  #readLog(): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no log written)';
    }
  }
}
