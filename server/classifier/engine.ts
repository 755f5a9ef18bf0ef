import { performance } from 'node:perf_hooks';

import type { ResolvedConfig } from '../config.js';
import { selectBackend, type BackendSelection } from './backend.js';
import { Detector, type RawDetection, type TensorMemory } from './detector.js';
import { makeThumbnail, prepareImage } from './image.js';
import { toNormalizedBox, type LetterboxGeometry } from './letterbox.js';
import { findModelsDir, readDetectorManifest, readLabels, readModelArtifacts, type DetectorManifest } from './model-files.js';
import { decideVerdict, type LabeledDetection } from './verdict.js';
import { loadPetHead } from './head.js';
import { applyHeadVerdict, createHeadPass, type HeadPass } from './head-verdict.js';
import type { WorkerResult } from './worker-protocol.js';
import type { VerdictRule } from './types.js';

/** Output of one classification inside a thread. */
export interface EngineOutput {
  readonly result: WorkerResult;
  readonly thumbnail?: Uint8Array;
}

/** Labels every raw detection and maps its box back to the original image. */
export function labelDetections(raw: readonly RawDetection[], geometry: LetterboxGeometry, labels: readonly string[]): LabeledDetection[] {
  return raw
    .filter((detection) => detection.score > 0)
    .map((detection) => ({
      label: labels[detection.classId] ?? `class-${detection.classId}`,
      score: detection.score,
      box: toNormalizedBox(geometry, detection.x1, detection.y1, detection.x2, detection.y2),
    }));
}

/**
 * The whole classification in one thread: decode and letterbox with sharp, detect with
 * TF.js, decide the verdict. ClassifierPool runs one per worker thread.
 */
export class ClassificationEngine {
  private constructor(
    private readonly config: ResolvedConfig,
    private readonly detector: Detector,
    private readonly manifest: DetectorManifest,
    private readonly labels: readonly string[],
    readonly backend: BackendSelection,
    // The trained cat / dog / neither head (models/head), run inside the detector's pass;
    // undefined when no head file exists, and then the detector rule alone decides.
    private readonly headPass: HeadPass | undefined,
  ) {}

  /** Which rule decides the verdict: the trained head, or the detector alone when no head file exists. */
  get verdictRule(): VerdictRule {
    return this.headPass ? 'head' : 'detector';
  }

  /**
   * Starts the backend, loads the verified model from local files and warms it up.
   *
   * @example
   * const engine = await ClassificationEngine.start(resolveConfig(process.env));
   * const { result } = await engine.classify(await readFile('cat.jpg'), false);
   */
  static async start(config: ResolvedConfig, modelsDir: string = findModelsDir()): Promise<ClassificationEngine> {
    const backend = await selectBackend(config.backend);
    const manifest = await readDetectorManifest(modelsDir);
    const [artifacts, labels] = await Promise.all([readModelArtifacts(modelsDir, manifest), readLabels(modelsDir, manifest)]);

    const detector = await Detector.load(artifacts, manifest);
    await detector.warmUp();

    const head = await loadPetHead(modelsDir);
    const headPass = head ? createHeadPass(head) : undefined;
    if (headPass) {
      // The extra outputs need their own first pass to allocate kernels and memory.
      await detector.detect(new Uint8Array(detector.inputSize * detector.inputSize * 3), headPass.extraOutputs, headPass.consume);
    }
    return new ClassificationEngine(config, detector, manifest, labels, backend, headPass);
  }

  async classify(image: Uint8Array, withThumbnail: boolean): Promise<EngineOutput> {
    const started = performance.now();
    const limits = { maxImagePixels: this.config.maxImagePixels, minImageSide: this.config.minImageSide };
    const prepared = await prepareImage(image, limits, this.detector.inputSize);
    const decoded = performance.now();

    // sharp encodes the thumbnail on libuv's thread pool while this thread runs inference.
    const thumbnail = withThumbnail ? makeThumbnail(image, this.config.thumbnailMaxSide, this.config.maxImagePixels) : undefined;
    // If inference throws first, the thumbnail's own failure must not go unhandled.
    thumbnail?.catch(() => undefined);

    const { detections, consumed: headVerdict } = await this.detector.detect(prepared.pixels, this.headPass?.extraOutputs, this.headPass?.consume);
    const inferred = performance.now();

    const labeled = labelDetections(detections, prepared.geometry, this.labels);
    const detectorSummary = decideVerdict(labeled, this.config.thresholds);
    const summary = headVerdict ? applyHeadVerdict(detectorSummary, headVerdict, labeled) : detectorSummary;
    const { sourceWidth: width, sourceHeight: height } = prepared.geometry;

    const result: WorkerResult = {
      ...summary,
      model: { name: this.manifest.name, version: this.manifest.version },
      backend: this.backend.name,
      image: { width, height, format: prepared.format },
      timings: { decodeMs: decoded - started, inferenceMs: inferred - decoded, workerMs: performance.now() - started },
    };
    return thumbnail ? { result, thumbnail: await thumbnail } : { result };
  }

  memory(): TensorMemory {
    return this.detector.memory();
  }

  dispose(): void {
    this.detector.dispose();
  }
}
