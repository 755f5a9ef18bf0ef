import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'server', 'main.js');

/** One log line of the server (pino JSON). */
export interface LogLine {
  msg?: string;
  level?: number;
  port?: number;
  [field: string]: unknown;
}

/**
 * The built server (`dist/server/main.js`, as `npm start` runs it) in a child process on
 * a free port. Run `npm run build` first, as `npm test` does.
 */
export class ServerProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  readonly port: number;

  private constructor(child: ChildProcess, port: number, logs: LogLine[]) {
    this.child = child;
    this.port = port;
    this.logs = logs;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server with extra settings from `env` and resolves once it listens. */
  static async start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CATDOG_WORKERS: '1', LOG_LEVEL: 'info', REDIS_URL: '', REDIS_HOST: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const logs: LogLine[] = [];
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));

    const port = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (text) => {
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          return;
        }
        logs.push(line);
        if (line.msg === 'server listening' && typeof line.port === 'number') resolve(line.port);
      });
      child.once('exit', (code) => reject(new Error(`server exited with code ${code} before listening: ${stderr.join('')}`)));
    });

    return new ServerProcess(child, port, logs);
  }

  /** Polls `GET /readyz` until the model is loaded. */
  async waitUntilReady(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const response = await fetch(`${this.url}/readyz`).catch(() => null);
      if (response?.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`server not ready within ${timeoutMs} ms`);
  }

  /** Sends `signal` and resolves with the exit code; a process that already exited resolves at once. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;

    const exited = once(this.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    this.child.kill(signal);
    const [code] = await exited;
    return code;
  }
}
