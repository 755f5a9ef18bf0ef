import { Worker } from 'node:worker_threads';

import type { BackendName, VerdictRule } from './types.js';
import type { PoolToWorkerMessage, WorkerStartData, WorkerToPoolMessage } from './worker-protocol.js';

/** Backend and warm-up time a worker reports once its model is loaded and warmed up. */
export interface WorkerReadyInfo {
  readonly backend: BackendName;
  readonly reason: string;
  readonly verdictRule: VerdictRule;
  readonly warmUpMs: number;
}

export interface WorkerSlotHandlers {
  /** A message other than `ready` or `start-failed`. */
  onMessage(slot: WorkerSlot, message: WorkerToPoolMessage): void;
  /** The thread ended after it was ready; `error` is its uncaught exception, if any. */
  onExit(slot: WorkerSlot, exitCode: number, error: Error | undefined): void;
}

/**
 * Creates the worker thread. From dist/ the entry is compiled JavaScript. Under the
 * TypeScript sources (vitest, tsx) this module's URL ends in .ts, and a small evaluated
 * bootstrap loads worker.ts through tsx, because Node does not apply `--import tsx` from a
 * worker's execArgv to the worker's entry module.
 */
function startWorker(id: number, workerData: WorkerStartData): Worker {
  const name = `classifier-${id}`;
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData, name });

  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(bootstrap, { eval: true, workerData, name });
}

/**
 * A worker's own report that it could not start, such as a backend that failed to load or
 * a missing model file. Its message is a complete sentence for the operator.
 */
export class WorkerStartError extends Error {
  override readonly name = 'WorkerStartError';
}

/** One inference worker thread and its lifecycle: starting, ready, exited. */
export class WorkerSlot {
  /** Resolves when the worker has loaded and warmed up its model; rejects if it cannot. */
  readonly started: Promise<WorkerReadyInfo>;
  private readonly worker: Worker;
  private isReady = false;
  private lastError: Error | undefined;

  constructor(
    readonly id: number,
    startData: WorkerStartData,
    private readonly handlers: WorkerSlotHandlers,
  ) {
    this.worker = startWorker(id, startData);

    this.started = new Promise<WorkerReadyInfo>((resolve, reject) => {
      this.worker.on('message', (message: WorkerToPoolMessage) => {
        if (message.type === 'ready') {
          this.isReady = true;
          resolve({ backend: message.backend, reason: message.reason, verdictRule: message.verdictRule, warmUpMs: message.warmUpMs });
        } else if (message.type === 'start-failed') {
          reject(new WorkerStartError(message.message));
          void this.worker.terminate();
        } else {
          this.handlers.onMessage(this, message);
        }
      });

      this.worker.on('error', (error) => {
        this.lastError = error;
      });

      this.worker.on('exit', (exitCode) => {
        if (!this.isReady) {
          reject(this.lastError ?? new Error(`inference worker ${id} exited with code ${exitCode} before it was ready`));
          return;
        }
        this.isReady = false;
        this.handlers.onExit(this, exitCode, this.lastError);
      });
    });

    // The pool awaits `started`; this only keeps an unobserved rejection from being reported twice.
    this.started.catch(() => undefined);
  }

  get ready(): boolean {
    return this.isReady;
  }

  send(message: PoolToWorkerMessage, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  /** Stops the thread at once; any job in it is abandoned. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
