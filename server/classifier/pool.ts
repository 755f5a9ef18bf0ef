import { performance } from 'node:perf_hooks';

// sharp is loaded on the main thread too so that its native library stays loaded while
// worker threads that use it exit and are replaced (sharp documents this for worker threads).
import 'sharp';

import type { ResolvedConfig } from '../config.js';
import { AppError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TensorMemory } from './detector.js';
import { checkImageBytes } from './limits.js';
import { findModelsDir } from './model-files.js';
import type { BackendName, ClassificationResult, VerdictRule } from './types.js';
import type { WorkerResult, WorkerToPoolMessage } from './worker-protocol.js';
import { WorkerSlot, WorkerStartError } from './worker-slot.js';

export interface ClassifyOptions {
  /** Also return a JPEG thumbnail whose long side is at most config.thumbnailMaxSide. */
  thumbnail?: boolean;
}

export interface ClassifyOutput {
  result: ClassificationResult;
  thumbnail?: Uint8Array;
}

/** Options for tests; the server never sets them. */
export interface PoolTestOptions {
  /** Let crashWorkerForTest() make a worker exit, to exercise crash replacement. */
  readonly testHooks?: boolean;
}

interface Job {
  readonly id: number;
  readonly image: Uint8Array;
  readonly thumbnail: boolean;
  readonly queuedAt: number;
  readonly resolve: (output: ClassifyOutput) => void;
  readonly reject: (error: Error) => void;
  dispatchedAt?: number;
  timer?: NodeJS.Timeout;
}

interface StatsRequest {
  readonly slot: WorkerSlot;
  readonly resolve: (memory: TensorMemory) => void;
  readonly reject: (error: Error) => void;
}

/** Delay before retrying a replacement worker that failed to start, doubled per failure, in ms. */
const RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Builds the one-sentence error ClassifierPool.create() throws. It sets no `cause`,
 * because pino's error serializer appends each cause's message to the outer one, which
 * would print the reason twice. A worker's own report is already a full sentence.
 */
function startFailure(reason: unknown): Error {
  if (reason instanceof WorkerStartError) return reason;

  const message = reason instanceof Error ? reason.message.split('\n')[0] : String(reason);
  return new Error(`an inference worker crashed while starting: ${message}`);
}

/**
 * A pool of inference worker threads, each with its own TF.js backend and model. Decoding,
 * letterboxing, inference and thumbnails all run in the workers; the calling thread only
 * checks the byte size and passes bytes along. Jobs wait in one FIFO queue for the next
 * idle worker. A worker that crashes or exceeds config.inferenceTimeoutMs is replaced and
 * its job rejects with ERR_INFERENCE_FAILED.
 *
 * @example
 * await using pool = await ClassifierPool.create(resolveConfig(process.env), logger);
 * const { result } = await pool.classify(await readFile('cat.jpg'));
 * console.log(result.verdict, result.confidence);
 */
export class ClassifierPool {
  readonly size: number;
  private selectedBackend: BackendName = 'wasm';
  private selectedVerdictRule: VerdictRule = 'detector';
  private readonly slots = new Set<WorkerSlot>();
  private readonly idle: WorkerSlot[] = [];
  private readonly running = new Map<WorkerSlot, Job>();
  private readonly queue: Job[] = [];
  private readonly statsRequests = new Map<number, StatsRequest>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private nextJobId = 1;
  private nextWorkerId = 1;
  private restartDelayMs = RESTART_DELAY_MS;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    private readonly modelsDir: string,
    private readonly testHooks: boolean,
  ) {
    this.size = config.workers;
  }

  /**
   * Starts config.workers threads and resolves once every one has loaded and warmed up the
   * model. Rejects, after stopping all threads, if any worker cannot start: for example
   * when CATDOG_BACKEND names a backend that does not load, or a model file is missing.
   */
  static async create(config: ResolvedConfig, logger: Logger, options: PoolTestOptions = {}): Promise<ClassifierPool> {
    const pool = new ClassifierPool(config, logger.child({ component: 'classifier' }), findModelsDir(), options.testHooks ?? false);
    const started = performance.now();
    const slots = Array.from({ length: config.workers }, () => pool.spawn());

    const outcomes = await Promise.allSettled(slots.map((slot) => slot.started));
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) {
      // close() marks the pool closed first, so workers that did start are not replaced.
      await pool.close();
      pool.logger.debug({ err: failure.reason }, 'inference worker failed to start');
      throw startFailure(failure.reason);
    }

    const first = (outcomes[0] as PromiseFulfilledResult<Awaited<WorkerSlot['started']>>).value;
    pool.selectedBackend = first.backend;
    pool.selectedVerdictRule = first.verdictRule;
    for (const slot of slots) pool.markIdle(slot);

    pool.logger.info({ backend: first.backend, reason: first.reason, verdictRule: first.verdictRule, workers: config.workers, startMs: Math.round(performance.now() - started) }, 'classifier ready');
    if (first.verdictRule === 'detector') {
      pool.logger.warn('no trained head in models/head: verdicts come from the detector rule alone; restore models/head/head.json or run `npm run train`');
    }
    return pool;
  }

  /** The backend every worker runs on. */
  get backend(): BackendName {
    return this.selectedBackend;
  }

  /** Whether the trained head or the detector alone decides verdicts. */
  get verdictRule(): VerdictRule {
    return this.selectedVerdictRule;
  }

  /** True while the pool is open and at least one worker is ready for jobs. */
  get ready(): boolean {
    return this.closing === undefined && this.idle.length + this.running.size > 0;
  }

  /** Jobs waiting for a worker, not counting those running. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Classifies one JPEG, PNG or WebP image.
   *
   * @throws AppError ERR_IMAGE_EMPTY or ERR_IMAGE_TOO_LARGE at once; ERR_NOT_AN_IMAGE,
   *   ERR_UNSUPPORTED_FORMAT, ERR_IMAGE_CORRUPT, ERR_IMAGE_TOO_SMALL or
   *   ERR_IMAGE_TOO_MANY_PIXELS from the worker; ERR_INFERENCE_FAILED when the worker
   *   crashes or times out; ERR_CLASSIFIER_CLOSED after close().
   */
  classify(image: Uint8Array, options: ClassifyOptions = {}): Promise<ClassifyOutput> {
    if (this.closing) return Promise.reject(new AppError('ERR_CLASSIFIER_CLOSED', 'the classifier is shut down; no new images are accepted'));
    if (!(image instanceof Uint8Array)) return Promise.reject(new AppError('ERR_NOT_AN_IMAGE', 'expected the image as binary data (Uint8Array or Buffer)'));
    try {
      checkImageBytes(image.byteLength, this.config);
    } catch (error) {
      return Promise.reject(error as AppError);
    }

    return new Promise<ClassifyOutput>((resolve, reject) => {
      // The copy owns its ArrayBuffer, so it can be transferred to the worker while the
      // caller's buffer stays intact. `new Uint8Array(view)` copies, but Buffer#slice
      // would return a view.
      this.queue.push({ id: this.nextJobId++, image: new Uint8Array(image), thumbnail: options.thumbnail ?? false, queuedAt: performance.now(), resolve, reject });
      this.dispatch();
    });
  }

  /** Reads TF.js memory counters from every ready worker, for leak checks. */
  async workerMemory(): Promise<TensorMemory[]> {
    const slots = [...this.slots].filter((slot) => slot.ready);
    return Promise.all(
      slots.map(
        (slot) =>
          new Promise<TensorMemory>((resolve, reject) => {
            const jobId = this.nextJobId++;
            this.statsRequests.set(jobId, { slot, resolve, reject });
            slot.send({ type: 'stats', jobId });
          }),
      ),
    );
  }

  /**
   * Makes one worker exit as if it had crashed, to exercise replacement. Only pools created
   * with `{ testHooks: true }` accept this; the worker itself also ignores it otherwise.
   */
  crashWorkerForTest(): void {
    this.testHookTarget().send({ type: 'exit-for-test' });
  }

  /** Makes the next job of every ready worker never finish, to exercise the inference timeout. Needs `{ testHooks: true }`. */
  stallWorkersForTest(): void {
    this.testHookTarget();
    for (const slot of this.slots) if (slot.ready) slot.send({ type: 'stall-for-test' });
  }

  private testHookTarget(): WorkerSlot {
    if (!this.testHooks) throw new Error('test hooks need a pool created with { testHooks: true }');

    const slot = [...this.running.keys()][0] ?? this.idle[0];
    if (!slot) throw new Error('no ready worker for the test hook');
    return slot;
  }

  /** Stops every worker. Queued and running jobs reject with ERR_CLASSIFIER_CLOSED. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutDown(): Promise<void> {
    const closed = new AppError('ERR_CLASSIFIER_CLOSED', 'the classifier shut down before this image was classified');
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();

    for (const job of this.queue.splice(0)) job.reject(closed);
    for (const job of this.running.values()) this.settle(job).reject(closed);
    this.running.clear();
    for (const request of this.statsRequests.values()) request.reject(closed);
    this.statsRequests.clear();

    const slots = [...this.slots];
    this.slots.clear();
    this.idle.length = 0;
    await Promise.allSettled(slots.map((slot) => slot.terminate()));
    this.logger.info({ workers: slots.length }, 'classifier closed');
  }

  private spawn(): WorkerSlot {
    const slot = new WorkerSlot(this.nextWorkerId++, { config: this.config, modelsDir: this.modelsDir, testHooks: this.testHooks }, {
      onMessage: (from, message) => this.onMessage(from, message),
      onExit: (from, exitCode, error) => this.onExit(from, exitCode, error),
    });
    this.slots.add(slot);
    return slot;
  }

  private markIdle(slot: WorkerSlot): void {
    if (this.closing || !this.slots.has(slot)) return;
    this.idle.push(slot);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const slot = this.idle.shift() as WorkerSlot;
      const job = this.queue.shift() as Job;

      job.dispatchedAt = performance.now();
      job.timer = setTimeout(() => this.onTimeout(slot, job), this.config.inferenceTimeoutMs);
      this.running.set(slot, job);
      slot.send({ type: 'classify', jobId: job.id, image: job.image, thumbnail: job.thumbnail }, [job.image.buffer as ArrayBuffer]);
    }
  }

  /** Clears the job's timer and returns the job, whose callbacks the caller then settles. */
  private settle(job: Job): Job {
    clearTimeout(job.timer);
    return job;
  }

  private onMessage(slot: WorkerSlot, message: WorkerToPoolMessage): void {
    if (message.type === 'stats') {
      const request = this.statsRequests.get(message.jobId);
      this.statsRequests.delete(message.jobId);
      request?.resolve(message.memory);
      return;
    }
    if (message.type !== 'result' && message.type !== 'failed') return;

    const job = this.running.get(slot);
    if (!job || job.id !== message.jobId) return;
    this.running.delete(slot);
    this.settle(job);

    if (message.type === 'result') {
      job.resolve(this.finish(job, message.result, message.thumbnail));
    } else {
      this.logFailure(slot, job, message.error.code, message.detail);
      job.reject(new AppError(message.error.code, message.error.message));
    }
    this.markIdle(slot);
  }

  /** Logs a failed job's detail: at error for a fault in the worker, at debug for a bad input. */
  private logFailure(slot: WorkerSlot, job: Job, code: ErrorCode, detail: string | undefined): void {
    if (detail === undefined) return;
    const fields = { workerId: slot.id, jobId: job.id, code, detail };
    if (code === 'ERR_INFERENCE_FAILED') {
      this.logger.error(fields, 'inference failed in worker');
    } else {
      this.logger.debug(fields, 'image rejected by worker');
    }
  }

  private finish(job: Job, result: WorkerResult, thumbnail: Uint8Array | undefined): ClassifyOutput {
    const finishedAt = performance.now();
    const queueMs = (job.dispatchedAt ?? job.queuedAt) - job.queuedAt;
    const output: ClassifyOutput = { result: { ...result, timings: { ...result.timings, queueMs, totalMs: finishedAt - job.queuedAt } } };
    if (thumbnail) output.thumbnail = thumbnail;
    return output;
  }

  private onTimeout(slot: WorkerSlot, job: Job): void {
    if (this.running.get(slot) !== job) return;
    this.running.delete(slot);

    this.logger.error({ workerId: slot.id, jobId: job.id, timeoutMs: this.config.inferenceTimeoutMs }, 'inference timed out; replacing worker');
    job.reject(new AppError('ERR_INFERENCE_FAILED', `inference did not finish within ${this.config.inferenceTimeoutMs} ms (CATDOG_INFERENCE_TIMEOUT_MS); the worker was restarted, try again`));
    void slot.terminate();
  }

  private onExit(slot: WorkerSlot, exitCode: number, error: Error | undefined): void {
    if (this.closing || !this.slots.delete(slot)) return;

    const idleIndex = this.idle.indexOf(slot);
    if (idleIndex >= 0) this.idle.splice(idleIndex, 1);

    const job = this.running.get(slot);
    this.running.delete(slot);
    if (job) {
      this.settle(job).reject(new AppError('ERR_INFERENCE_FAILED', 'the inference worker stopped while classifying this image; it is being replaced, try again'));
    }
    for (const [jobId, request] of this.statsRequests) {
      if (request.slot !== slot) continue;
      this.statsRequests.delete(jobId);
      request.reject(new Error(`inference worker ${slot.id} exited before reporting its memory`));
    }

    this.logger.error({ workerId: slot.id, exitCode, jobId: job?.id, err: error }, 'inference worker exited; starting a replacement');
    this.replace();
  }

  private replace(): void {
    const slot = this.spawn();
    slot.started.then(
      (info) => {
        this.restartDelayMs = RESTART_DELAY_MS;
        this.logger.info({ workerId: slot.id, backend: info.backend, warmUpMs: Math.round(info.warmUpMs) }, 'replacement worker ready');
        this.markIdle(slot);
      },
      (error: unknown) => {
        this.slots.delete(slot);
        if (this.closing) return;

        this.logger.error({ workerId: slot.id, err: error, retryInMs: this.restartDelayMs }, 'replacement worker failed to start');
        this.rejectQueueIfNoWorkers();
        const timer = setTimeout(() => {
          this.restartTimers.delete(timer);
          if (!this.closing) this.replace();
        }, this.restartDelayMs);
        this.restartTimers.add(timer);
        this.restartDelayMs = Math.min(MAX_RESTART_DELAY_MS, this.restartDelayMs * 2);
      },
    );
  }

  /** With no ready worker left and replacements failing, queued jobs would wait forever. */
  private rejectQueueIfNoWorkers(): void {
    if (this.idle.length + this.running.size > 0) return;
    const error = new AppError('ERR_MODEL_NOT_READY', 'no inference worker is running; the server is restarting them, try again shortly');
    for (const job of this.queue.splice(0)) job.reject(error);
  }
}
