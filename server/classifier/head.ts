import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ALL_FEATURE_GROUPS, COCO_CAT, COCO_DOG, FEATURE_GROUPS, type FeatureGroupName, type RawDetection } from './head-features.js';
import type { Verdict } from './types.js';

/** Classes of the head's output, in order. */
export const HEAD_OUTPUT_CLASSES = ['cat', 'dog', 'neither'] as const;
export type HeadOutputClass = (typeof HEAD_OUTPUT_CLASSES)[number];

/** Format tag of models/head/head.json; loading rejects any other. */
export const HEAD_FILE_FORMAT = 'catdog-head/1';

/** A dense layer: output = activation(input x weights + bias). */
export interface HeadLayer {
  /** Row-major [inputs][outputs]. */
  readonly weights: readonly (readonly number[])[];
  readonly bias: readonly number[];
  readonly activation: 'relu' | 'softmax';
}

/** Thresholds that turn head probabilities and detector scores into a verdict (see decideVerdict). */
export interface HeadDecision {
  /**
   * Minimum head probability of cat or dog for a pet verdict; below it the verdict is neither.
   * A pet verdict also needs the pet to be more probable than neither, so values up to 1/3 give
   * the plain argmax.
   */
  readonly minPetProbability: number;
  /** Detector score both a cat box and a dog box need for a cat-and-dog verdict. */
  readonly bothPetsMinScore: number;
}

/** Training record of a head: data, split, model, hyperparameters and validation figures, written by `npm run train`. */
export interface HeadTrainingRecord {
  readonly dataset: string;
  readonly images: Readonly<Record<HeadOutputClass, number>>;
  readonly split: { readonly validationFraction: number; readonly seed: number; readonly train: number; readonly validation: number };
  readonly augmentation: readonly string[];
  readonly model: string;
  readonly hyperparameters: Readonly<Record<string, number | string>>;
  readonly extractorVersion: string;
  readonly validation: { readonly accuracy: number; readonly correct: number; readonly total: number; readonly minRecall: number };
  readonly trainedAt: string;
}

/** Contents of models/head/head.json. */
export interface HeadFile {
  readonly format: typeof HEAD_FILE_FORMAT;
  readonly classes: readonly HeadOutputClass[];
  readonly featureGroups: readonly FeatureGroupName[];
  /** Per-input standardization: x' = (x - mean) / std, applied before the first layer. */
  readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly layers: readonly HeadLayer[];
  readonly decision: HeadDecision;
  readonly training: HeadTrainingRecord;
}

/** Best detector score for each pet class in one frame, 0 when none was found. */
export interface DetectorPetScores {
  readonly cat: number;
  readonly dog: number;
}

export interface HeadVerdict {
  readonly verdict: Verdict;
  /** Head probability of the verdict; for cat-and-dog, the lower of the two detector scores. */
  readonly confidence: number;
  readonly probabilities: Readonly<Record<HeadOutputClass, number>>;
}

/** Returns the best cat and dog scores among the detector's rows, 0 when absent. */
export function detectorPetScoresOf(detections: readonly RawDetection[]): DetectorPetScores {
  let cat = 0;
  let dog = 0;
  for (const detection of detections) {
    if (detection.classId === COCO_CAT) cat = Math.max(cat, detection.score);
    if (detection.classId === COCO_DOG) dog = Math.max(dog, detection.score);
  }
  return { cat, dog };
}

/** Concatenates feature groups in the head's order into one input vector. */
export function assembleHeadInput(groups: readonly FeatureGroupName[], features: ReadonlyMap<FeatureGroupName, Float32Array>): Float32Array {
  const length = groups.reduce((sum, group) => sum + FEATURE_GROUPS[group].length, 0);
  const input = new Float32Array(length);
  let offset = 0;
  for (const group of groups) {
    const values = features.get(group);
    if (values === undefined || values.length !== FEATURE_GROUPS[group].length) {
      throw new Error(`feature group '${group}' has ${values?.length ?? 'no'} values, expected ${FEATURE_GROUPS[group].length}; compute it with computeFeatureGroups`);
    }
    input.set(values, offset);
    offset += values.length;
  }
  return input;
}

function applyLayer(input: Float64Array, layer: HeadLayer): Float64Array {
  const output = Float64Array.from(layer.bias);
  for (let i = 0; i < input.length; i++) {
    const value = input[i] ?? 0;
    if (value === 0) continue;
    const row = layer.weights[i] ?? [];
    for (let j = 0; j < output.length; j++) output[j] = (output[j] ?? 0) + value * (row[j] ?? 0);
  }

  if (layer.activation === 'relu') return output.map((value) => Math.max(0, value));

  const max = Math.max(...output);
  const exps = output.map((value) => Math.exp(value - max));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

/**
 * Combines the head's probabilities with the detector's pet scores. The more probable of cat and
 * dog is the verdict when it beats neither and reaches decision.minPetProbability; otherwise
 * the verdict is neither. Because the training photos show at
 * most one kind of pet, the head cannot learn cat-and-dog, so that verdict still comes from the
 * detector: both pet classes at decision.bothPetsMinScore or more, and the head not saying neither.
 */
export function decideVerdict(
  probabilities: Readonly<Record<HeadOutputClass, number>>,
  detector: DetectorPetScores,
  decision: HeadDecision,
): HeadVerdict {
  const pet: HeadOutputClass = probabilities.cat >= probabilities.dog ? 'cat' : 'dog';
  const petProbability = probabilities[pet];

  if (petProbability < decision.minPetProbability || petProbability <= probabilities.neither) {
    return { verdict: 'neither', confidence: probabilities.neither, probabilities };
  }
  if (detector.cat >= decision.bothPetsMinScore && detector.dog >= decision.bothPetsMinScore) {
    return { verdict: 'cat-and-dog', confidence: Math.min(detector.cat, detector.dog), probabilities };
  }
  return { verdict: pet, confidence: petProbability, probabilities };
}

/** The trained cat / dog / neither head: a small dense network over detector features. */
export class PetHead {
  readonly featureGroups: readonly FeatureGroupName[];
  readonly decision: HeadDecision;
  readonly training: HeadTrainingRecord;
  private readonly file: HeadFile;

  constructor(file: HeadFile) {
    validateHeadFile(file);
    this.file = file;
    this.featureGroups = file.featureGroups;
    this.decision = file.decision;
    this.training = file.training;
  }

  /** Returns the head's probabilities for one frame's features. */
  predict(features: ReadonlyMap<FeatureGroupName, Float32Array>): Record<HeadOutputClass, number> {
    const input = assembleHeadInput(this.file.featureGroups, features);
    const { mean, std } = this.file.normalization;

    let activations: Float64Array = Float64Array.from(input, (value, index) => (value - (mean[index] ?? 0)) / (std[index] ?? 1));
    for (const layer of this.file.layers) activations = applyLayer(activations, layer);

    return { cat: activations[0] ?? 0, dog: activations[1] ?? 0, neither: activations[2] ?? 0 };
  }

  /** Returns the verdict for one frame: head probabilities combined with the detector's pet scores. */
  classify(features: ReadonlyMap<FeatureGroupName, Float32Array>, detector: DetectorPetScores): HeadVerdict {
    return decideVerdict(this.predict(features), detector, this.decision);
  }
}

/**
 * Checks that a head file is complete and self-consistent: known format and groups, and layer
 * shapes that chain from the input length to the three classes.
 *
 * @throws Error naming the first inconsistency.
 */
export function validateHeadFile(file: HeadFile): void {
  const problem = findHeadFileProblem(file);
  if (problem !== undefined) throw new Error(`invalid head file: ${problem}; retrain with \`npm run train -- DATASET_DIR\``);
}

function findHeadFileProblem(file: HeadFile): string | undefined {
  if (file.format !== HEAD_FILE_FORMAT) return `format is '${String(file.format)}', expected '${HEAD_FILE_FORMAT}'`;
  if (file.classes.join() !== HEAD_OUTPUT_CLASSES.join()) return `classes are [${file.classes.join(', ')}], expected [${HEAD_OUTPUT_CLASSES.join(', ')}]`;

  const unknown = file.featureGroups.find((group) => !ALL_FEATURE_GROUPS.includes(group));
  if (unknown !== undefined) return `unknown feature group '${unknown}'`;

  const inputLength = file.featureGroups.reduce((sum, group) => sum + FEATURE_GROUPS[group].length, 0);
  if (file.normalization.mean.length !== inputLength || file.normalization.std.length !== inputLength) {
    return `normalization has ${file.normalization.mean.length} means and ${file.normalization.std.length} deviations for ${inputLength} inputs`;
  }

  let width = inputLength;
  for (const [index, layer] of file.layers.entries()) {
    const outputs = layer.bias.length;
    if (layer.weights.length !== width || layer.weights.some((row) => row.length !== outputs)) {
      return `layer ${index} weights are not ${width} x ${outputs}`;
    }
    width = outputs;
  }
  if (width !== HEAD_OUTPUT_CLASSES.length || file.layers.at(-1)?.activation !== 'softmax') {
    return `the last layer must be a softmax over ${HEAD_OUTPUT_CLASSES.length} classes`;
  }
  return undefined;
}

/** Path of the head file inside the models folder. */
export function headFilePath(modelsDir: string): string {
  return join(modelsDir, 'head', 'head.json');
}

/**
 * Loads models/head/head.json. Returns undefined when the file does not exist, so the
 * classifier falls back to the detector's own rule.
 *
 * @throws Error when the file exists but is invalid.
 */
export async function loadPetHead(modelsDir: string): Promise<PetHead | undefined> {
  const path = headFilePath(modelsDir);
  if (!existsSync(path)) return undefined;
  return new PetHead(JSON.parse(await readFile(path, 'utf8')) as HeadFile);
}
