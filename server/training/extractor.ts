import { configDefaults } from '../config.js';
import { Detector } from '../classifier/detector.js';
import {
  ALL_FEATURE_GROUPS,
  FEATURE_GROUPS,
  INPUT_SIDE,
  computeFeatureGroups,
  graphNodesFor,
  type FeatureGroupName,
  type RawDetection,
} from '../classifier/head-features.js';
import { prepareImage } from '../classifier/image.js';
import { readDetectorManifest, readModelArtifacts } from '../classifier/model-files.js';

/**
 * Version of everything that shapes a cached feature record: preprocessing, graph nodes and
 * feature groups. Bump it whenever one of them changes, so stale cache entries are ignored.
 */
export const EXTRACTOR_VERSION = 'centernet-v3';

/** Detector rows kept per record: 100 detections of 6 values each. */
export const DETECTION_VALUES = 100 * 6;

/** Offset and length of each part of a feature record. */
export interface RecordLayout {
  readonly detections: { readonly offset: number; readonly length: number };
  readonly groups: Readonly<Record<FeatureGroupName, { readonly offset: number; readonly length: number }>>;
  readonly length: number;
}

function buildLayout(): RecordLayout {
  let offset = DETECTION_VALUES;
  const groups = {} as Record<FeatureGroupName, { offset: number; length: number }>;
  for (const group of ALL_FEATURE_GROUPS) {
    groups[group] = { offset, length: FEATURE_GROUPS[group].length };
    offset += FEATURE_GROUPS[group].length;
  }
  return { detections: { offset: 0, length: DETECTION_VALUES }, groups, length: offset };
}

/** Layout of every record: the raw detections, then each feature group in ALL_FEATURE_GROUPS order. */
export const RECORD_LAYOUT: RecordLayout = buildLayout();

/** An image variant: the photo as stored, or mirrored left to right (a training augmentation). */
export type Variant = 'original' | 'flipped';

/** Mirrors letterboxed RGB pixels [side, side, 3] left to right. */
export function mirrorPixels(pixels: Uint8Array, side: number): Uint8Array {
  const mirrored = new Uint8Array(pixels.length);
  for (let y = 0; y < side; y++) {
    const row = y * side * 3;
    for (let x = 0; x < side; x++) {
      const from = row + x * 3;
      const to = row + (side - 1 - x) * 3;
      mirrored[to] = pixels[from] ?? 0;
      mirrored[to + 1] = pixels[from + 1] ?? 0;
      mirrored[to + 2] = pixels[from + 2] ?? 0;
    }
  }
  return mirrored;
}

function encodeDetections(detections: readonly RawDetection[]): Float32Array {
  const values = new Float32Array(DETECTION_VALUES);
  detections.slice(0, DETECTION_VALUES / 6).forEach((detection, index) => {
    values.set([detection.x1, detection.y1, detection.x2, detection.y2, detection.score, detection.classId], index * 6);
  });
  return values;
}

/**
 * Runs the detector once per image and returns every feature group the head may use. It
 * decodes, letterboxes and runs the graph with the classifier's own code (prepareImage and
 * Detector), so training sees exactly the inputs inference sees.
 */
export class FeatureExtractor {
  private readonly extraNodes: string[];

  private constructor(private readonly detector: Detector) {
    this.extraNodes = graphNodesFor(ALL_FEATURE_GROUPS).slice(1);
  }

  /** Loads and verifies the detector from the models folder and warms it up. */
  static async load(modelsDir: string): Promise<FeatureExtractor> {
    const manifest = await readDetectorManifest(modelsDir);
    if (manifest.inputSize !== INPUT_SIDE) throw new Error(`the detector input is ${manifest.inputSize} pixels, but the head features assume ${INPUT_SIDE}`);

    const detector = await Detector.load(await readModelArtifacts(modelsDir, manifest), manifest);
    await detector.warmUp();
    return new FeatureExtractor(detector);
  }

  /** Extracts one record (see RECORD_LAYOUT) from an encoded image. */
  async extract(image: Uint8Array, variant: Variant): Promise<Float32Array> {
    const limits = { maxImagePixels: configDefaults.maxImagePixels, minImageSide: configDefaults.minImageSide };
    const prepared = await prepareImage(image, limits, INPUT_SIDE);
    const pixels = variant === 'flipped' ? mirrorPixels(prepared.pixels, INPUT_SIDE) : prepared.pixels;

    const { detections, consumed: groups } = await this.detector.detect(pixels, this.extraNodes, (outputs, rows) =>
      computeFeatureGroups(outputs, ALL_FEATURE_GROUPS, rows),
    );
    if (groups === undefined) throw new Error('the detector returned no feature groups');

    const record = new Float32Array(RECORD_LAYOUT.length);
    record.set(encodeDetections(detections), RECORD_LAYOUT.detections.offset);
    for (const [group, values] of groups) record.set(values, RECORD_LAYOUT.groups[group].offset);
    return record;
  }

  dispose(): void {
    this.detector.dispose();
  }
}
