import type { ResolvedConfig } from '../config.js';
import type { ErrorPayload } from '../errors.js';
import type { TensorMemory } from './detector.js';
import type { BackendName, ClassificationResult, VerdictRule } from './types.js';

/** Data each inference worker starts with. */
export interface WorkerStartData {
  readonly config: ResolvedConfig;
  readonly modelsDir: string;
  /** Honour the `*-for-test` messages; only ClassifierPool's test option sets this. */
  readonly testHooks: boolean;
}

/** Messages from the pool to a worker. */
export type PoolToWorkerMessage =
  | { readonly type: 'classify'; readonly jobId: number; readonly image: Uint8Array; readonly thumbnail: boolean }
  | { readonly type: 'stats'; readonly jobId: number }
  | { readonly type: 'exit-for-test' }
  | { readonly type: 'stall-for-test' };

/** A worker's classification, before the pool adds the time spent queued. */
export type WorkerResult = Omit<ClassificationResult, 'timings'> & {
  readonly timings: { readonly decodeMs: number; readonly inferenceMs: number; readonly workerMs: number };
};

/** Messages from a worker to the pool. */
export type WorkerToPoolMessage =
  | { readonly type: 'ready'; readonly backend: BackendName; readonly reason: string; readonly verdictRule: VerdictRule; readonly warmUpMs: number }
  | { readonly type: 'start-failed'; readonly message: string }
  | { readonly type: 'result'; readonly jobId: number; readonly result: WorkerResult; readonly thumbnail?: Uint8Array }
  | { readonly type: 'failed'; readonly jobId: number; readonly error: ErrorPayload; readonly detail?: string }
  | { readonly type: 'stats'; readonly jobId: number; readonly memory: TensorMemory };
