import sharp from 'sharp';

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
  readonly groups: Readonly<Partial<Record<FeatureGroupName, { readonly offset: number; readonly length: number }>>>;
  readonly length: number;
}

/**
 * Groups stored in each record, in record order. Groups computed from detections alone
 * (classScores) are not stored: design-matrix.ts recomputes them from the stored detections.
 */
export const RECORDED_GROUPS: readonly FeatureGroupName[] = [
  'heatmapMax',
  'detectorPets',
  'headMean',
  'backbone14',
  'backbone13',
  'backbone10',
  'petBoxHead',
  'petBoxDeep',
  'petBoxHeatmaps',
  'petBoxMid',
  'petBoxBackbone',
];

function buildLayout(): RecordLayout {
  let offset = DETECTION_VALUES;
  const groups: Partial<Record<FeatureGroupName, { offset: number; length: number }>> = {};
  for (const group of RECORDED_GROUPS) {
    groups[group] = { offset, length: FEATURE_GROUPS[group].length };
    offset += FEATURE_GROUPS[group].length;
  }
  return { detections: { offset: 0, length: DETECTION_VALUES }, groups, length: offset };
}

/** Layout of every record: the raw detections, then each feature group in RECORDED_GROUPS order. */
export const RECORD_LAYOUT: RecordLayout = buildLayout();

/**
 * An image variant: the photo as stored, or a training augmentation of it. `flipped` is
 * mirrored left to right. `zoomed` keeps the central 70% of each side, as if the camera were
 * closer. `dark` scales brightness to 55%, as in a dim room. `zoomed-flipped` combines both.
 */
export type Variant = 'original' | 'flipped' | 'zoomed' | 'dark' | 'zoomed-flipped';

export const ALL_VARIANTS: readonly Variant[] = ['original', 'flipped', 'zoomed', 'dark', 'zoomed-flipped'];

/** Share of each side that the zoomed variants keep, centred. */
const ZOOM_KEEP = 0.7;
/** Brightness factor of the dark variant. */
const DARK_FACTOR = 0.55;

/**
 * Applies the variant's change to the encoded image before the standard letterbox, and
 * returns a lossless PNG of the result (or the input itself for variants that change only
 * the letterboxed pixels).
 */
async function augment(image: Uint8Array, variant: Variant): Promise<Uint8Array> {
  if (variant === 'original' || variant === 'flipped') return image;

  const oriented = sharp(image, { autoOrient: true });
  if (variant === 'dark') return oriented.linear(DARK_FACTOR, 0).png().toBuffer();

  const { width, height } = (await sharp(image).metadata()).autoOrient;
  const keptWidth = Math.max(1, Math.round(width * ZOOM_KEEP));
  const keptHeight = Math.max(1, Math.round(height * ZOOM_KEEP));
  const region = { left: Math.floor((width - keptWidth) / 2), top: Math.floor((height - keptHeight) / 2), width: keptWidth, height: keptHeight };
  return oriented.extract(region).png().toBuffer();
}

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
 * Detector), so training gets exactly the inputs that inference gets.
 */
export class FeatureExtractor {
  private readonly extraNodes: string[];

  private constructor(private readonly detector: Detector) {
    this.extraNodes = graphNodesFor(RECORDED_GROUPS).slice(1);
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
    const prepared = await prepareImage(await augment(image, variant), limits, INPUT_SIDE);
    const mirrored = variant === 'flipped' || variant === 'zoomed-flipped';
    const pixels = mirrored ? mirrorPixels(prepared.pixels, INPUT_SIDE) : prepared.pixels;

    const { detections, consumed: groups } = await this.detector.detect(pixels, this.extraNodes, (outputs, rows) =>
      computeFeatureGroups(outputs, RECORDED_GROUPS, rows),
    );
    if (groups === undefined) throw new Error('the detector returned no feature groups');

    const record = new Float32Array(RECORD_LAYOUT.length);
    record.set(encodeDetections(detections), RECORD_LAYOUT.detections.offset);
    for (const [group, values] of groups) record.set(values, RECORD_LAYOUT.groups[group]?.offset ?? 0);
    return record;
  }

  dispose(): void {
    this.detector.dispose();
  }
}
