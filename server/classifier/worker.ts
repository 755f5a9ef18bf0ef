import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

import sharp from 'sharp';

import { AppError } from '../errors.js';
import { ClassificationEngine } from './engine.js';
import type { PoolToWorkerMessage, WorkerStartData, WorkerToPoolMessage } from './worker-protocol.js';

// Entry point of one inference worker thread. ClassifierPool starts it; it is not meant to
// be run directly.

if (!parentPort) throw new Error('worker.ts must run as a worker thread started by ClassifierPool');
const port = parentPort;
const start = workerData as WorkerStartData;

// Inputs are untrusted and rarely repeat, so libvips' operation cache would only hold memory.
sharp.cache(false);

/** Nice value of the inference thread: below the main thread, which serves sockets and HTTP. */
const INFERENCE_NICE = 5;

// On Linux the nice value belongs to each thread, and pid 0 means the calling thread, so
// this lowers only this worker's JS thread (setpriority(2), NOTES). Elsewhere the same call
// would lower the whole process, so it is skipped.
if (process.platform === 'linux') {
  try {
    setPriority(INFERENCE_NICE);
  } catch {
    // Containers may forbid changing priority; inference then runs at the default.
  }
}

function send(message: WorkerToPoolMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Set by `stall-for-test`: the next job never finishes, to exercise the pool's timeout. */
let stallNextJob = false;

async function handleClassify(engine: ClassificationEngine, jobId: number, image: Uint8Array, thumbnail: boolean): Promise<void> {
  if (stallNextJob) {
    stallNextJob = false;
    return;
  }

  try {
    const output = await engine.classify(image, thumbnail);
    const transfer = output.thumbnail ? [output.thumbnail.buffer as ArrayBuffer] : [];
    send({ type: 'result', jobId, result: output.result, ...(output.thumbnail ? { thumbnail: output.thumbnail } : {}) }, transfer);
  } catch (error) {
    if (error instanceof AppError) {
      // The client gets the one-line message; the decoder's full text goes to the debug log.
      const detail = error.cause === undefined ? undefined : describe(error.cause);
      send({ type: 'failed', jobId, error: error.toPayload(), ...(detail ? { detail } : {}) });
      return;
    }
    send({ type: 'failed', jobId, error: { code: 'ERR_INFERENCE_FAILED', message: 'inference failed; the server log has the details' }, detail: describe(error) });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  let engine: ClassificationEngine;
  try {
    engine = await ClassificationEngine.start(start.config, start.modelsDir);
  } catch (error) {
    send({ type: 'start-failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }

  port.on('message', (message: PoolToWorkerMessage) => {
    switch (message.type) {
      case 'classify':
        void handleClassify(engine, message.jobId, message.image, message.thumbnail);
        break;
      case 'stats':
        send({ type: 'stats', jobId: message.jobId, memory: engine.memory() });
        break;
      // Both simulate faults for the pool's tests and are ignored unless the pool enabled them.
      case 'exit-for-test':
        if (start.testHooks) process.exit(70);
        break;
      case 'stall-for-test':
        if (start.testHooks) stallNextJob = true;
        break;
    }
  });
  send({ type: 'ready', backend: engine.backend.name, reason: engine.backend.reason, verdictRule: engine.verdictRule, warmUpMs: performance.now() - started });
}

void main();
