import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';

import { selectBackend } from '../classifier/backend.js';
import { FeatureExtractor, type Variant } from './extractor.js';
import { FeatureCache } from './feature-cache.js';

/** Data the pool passes to each extraction worker. */
export interface ExtractWorkerData {
  readonly modelsDir: string;
  readonly cacheRoot: string;
}

/** A request to extract one image variant into the cache. */
export interface ExtractRequest {
  readonly path: string;
  readonly sha256: string;
  readonly variant: Variant;
}

export type ExtractReply = { readonly ok: true } | { readonly ok: false; readonly message: string };

async function main(): Promise<void> {
  if (parentPort === null) throw new Error('extract-worker must run in a worker thread');
  const port = parentPort;
  const { modelsDir, cacheRoot } = workerData as ExtractWorkerData;

  await selectBackend('wasm');
  const extractor = await FeatureExtractor.load(modelsDir);
  const cache = new FeatureCache(cacheRoot);

  // Requests arrive one at a time: the pool sends the next only after this reply.
  port.on('message', (request: ExtractRequest) => {
    void (async () => {
      try {
        const record = await extractor.extract(await readFile(request.path), request.variant);
        await cache.write(request.sha256, request.variant, record);
        port.postMessage({ ok: true } satisfies ExtractReply);
      } catch (error) {
        port.postMessage({ ok: false, message: `${request.path} (${request.variant}): ${(error as Error).message}` } satisfies ExtractReply);
      }
    })();
  });
  port.postMessage({ ok: true } satisfies ExtractReply);
}

// A failure to start throws here, which the pool receives as the worker's 'error' event.
await main();
