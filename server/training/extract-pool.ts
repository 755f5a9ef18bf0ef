import { Worker } from 'node:worker_threads';

import type { ExtractReply, ExtractRequest, ExtractWorkerData } from './extract-worker.js';
import type { FeatureCache } from './feature-cache.js';

export interface ExtractionProgress {
  readonly done: number;
  readonly total: number;
}

/**
 * Fills the feature cache for every request that is not cached yet, running the detector in
 * `workers` worker threads (one image at a time each). Resolves when all are written.
 *
 * @throws Error naming the image when an extraction fails; the other workers are stopped.
 */
export async function extractMissing(
  requests: readonly ExtractRequest[],
  cache: FeatureCache,
  options: { modelsDir: string; cacheRoot: string; workers: number; onProgress?: (progress: ExtractionProgress) => void },
): Promise<number> {
  const pending = requests.filter((request) => !cache.has(request.sha256, request.variant));
  if (pending.length === 0) return 0;

  const workerUrl = new URL('./extract-worker.js', import.meta.url);
  const workerCount = Math.max(1, Math.min(options.workers, pending.length));
  const data: ExtractWorkerData = { modelsDir: options.modelsDir, cacheRoot: options.cacheRoot };
  const workers = Array.from({ length: workerCount }, () => new Worker(workerUrl, { workerData: data }));

  let next = 0;
  let done = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const sendNext = () => {
              const request = pending[next++];
              if (request === undefined) {
                resolve();
                return;
              }
              worker.postMessage(request satisfies ExtractRequest);
            };

            let started = false;
            worker.on('message', (reply: ExtractReply) => {
              if (!reply.ok) {
                reject(new Error(`feature extraction failed for ${reply.message}`));
                return;
              }
              // The first message only reports that the model is loaded.
              if (started) {
                done += 1;
                options.onProgress?.({ done, total: pending.length });
              }
              started = true;
              sendNext();
            });
            worker.on('error', reject);
            // After resolve() this rejection is ignored, so only an early exit reports.
            worker.on('exit', (code) => reject(new Error(`extraction worker exited with code ${code} before the queue was empty`)));
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return pending.length;
}
