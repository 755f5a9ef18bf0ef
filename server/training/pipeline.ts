import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { HEAD_FILE_FORMAT, HEAD_OUTPUT_CLASSES, PetHead, detectorPetScoresOf, headFilePath, validateHeadFile, type HeadFile } from '../classifier/head.js';
import type { FeatureGroupName } from '../classifier/head-features.js';
import { collectFeatures, type FeaturedImage } from './collect.js';
import { chooseDecision, type ScoredPhoto } from './decision.js';
import { HEAD_CLASSES, listDataset, splitDataset } from './dataset.js';
import { buildDesignMatrix, recordDetections, recordGroups } from './design-matrix.js';
import { EXTRACTOR_VERSION, type Variant } from './extractor.js';
import { evaluate, formatEvaluation, type Evaluation } from './metrics.js';
import { detectorOnlyVerdict } from './detector-rule.js';
import { configDefaults } from '../config.js';
import { trainHead, type HeadHyperparameters, type TrainedHead } from './train-head.js';

export interface TrainingOptions {
  readonly datasetDir: string;
  readonly modelsDir: string;
  readonly cacheRoot: string;
  /** Extraction worker threads. */
  readonly workers: number;
  readonly seed: number;
  readonly validationFraction: number;
  readonly featureGroups: readonly FeatureGroupName[];
  readonly hyperparameters: HeadHyperparameters;
  /** Write models/head/head.json; false only reports. */
  readonly write: boolean;
  readonly log: (message: string) => void;
}

export interface TrainingOutcome {
  readonly head: HeadFile;
  readonly validation: Evaluation;
  readonly report: string;
}

/** Training augmentation: every photo is also seen mirrored left to right. */
const TRAINING_VARIANTS: readonly Variant[] = ['original', 'flipped'];

/** Scores photos with a head, using the unflipped features only, as inference does. */
export function scorePhotos(head: PetHead, photos: readonly FeaturedImage[]): ScoredPhoto[] {
  return photos.map(({ image, records }) => {
    const record = records.get('original');
    if (record === undefined) throw new Error(`no original features for ${image.relativePath}`);
    return {
      label: image.label,
      probabilities: head.predict(recordGroups(record, head.featureGroups)),
      detector: detectorPetScoresOf(recordDetections(record)),
    };
  });
}

/** Significant digits kept in head.json; float32 weights carry about 7. */
const SIGNIFICANT_DIGITS = 6;

function round(value: number): number {
  return Number(value.toPrecision(SIGNIFICANT_DIGITS));
}

/**
 * Rounds every weight to SIGNIFICANT_DIGITS, which makes head.json less than half the size.
 * Validation runs on the rounded weights, so its figures describe the committed file.
 */
function roundParameters(trained: TrainedHead): TrainedHead {
  return {
    normalization: { mean: trained.normalization.mean.map(round), std: trained.normalization.std.map(round) },
    layers: trained.layers.map((layer) => ({ ...layer, weights: layer.weights.map((row) => row.map(round)), bias: layer.bias.map(round) })),
  };
}

function countByClass(photos: readonly FeaturedImage[]): Record<(typeof HEAD_CLASSES)[number], number> {
  const counts = { cat: 0, dog: 0, neither: 0 };
  for (const { image } of photos) counts[image.label] += 1;
  return counts;
}

/**
 * Trains the cat / dog / neither head on DATASET_DIR. It extracts detector features (or reads
 * them from the cache) and holds out a stratified validation split. Then it trains on the rest
 * with flip augmentation, chooses the decision threshold on the validation split and writes
 * models/head/head.json with its training record.
 */
export async function runTraining(options: TrainingOptions): Promise<TrainingOutcome> {
  const started = Date.now();
  const images = await listDataset(options.datasetDir);
  const split = splitDataset(images, options.validationFraction, options.seed);
  options.log(`dataset: ${images.length} images, ${split.train.length} for training, ${split.validation.length} for validation`);

  let lastReport = 0;
  const featured = await collectFeatures(images, {
    modelsDir: options.modelsDir,
    cacheRoot: options.cacheRoot,
    workers: options.workers,
    variants: TRAINING_VARIANTS,
    onProgress: ({ done, total }) => {
      if (done === total || Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        options.log(`features: extracted ${done} of ${total} missing image variants`);
      }
    },
  });
  const byPath = new Map(featured.map((item) => [item.image.relativePath, item]));
  const pick = (list: typeof images) => list.map((image) => byPath.get(image.relativePath) as FeaturedImage);
  const trainPhotos = pick(split.train);
  const validationPhotos = pick(split.validation);

  const matrix = buildDesignMatrix(trainPhotos, options.featureGroups, TRAINING_VARIANTS);
  options.log(`training on ${matrix.inputs.length} rows of ${matrix.inputs[0]?.length ?? 0} features`);
  const trained = roundParameters(await trainHead(matrix, options.hyperparameters));

  const provisional = new PetHead(buildHeadFile(options, trained, { minPetProbability: 0.5, bothPetsMinScore: 1 }, undefined, featured, split));
  const { decision, evaluation } = chooseDecision(scorePhotos(provisional, validationPhotos));
  const head = buildHeadFile(options, trained, decision, evaluation, featured, split);
  validateHeadFile(head);

  if (options.write) {
    const path = headFilePath(options.modelsDir);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(head)}\n`);
    options.log(`wrote ${path}`);
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const petScore = configDefaults.thresholds.petScore;
  const baseline = evaluate(
    validationPhotos.map(({ image }) => image.label),
    validationPhotos.map(({ records }) => detectorOnlyVerdict(recordDetections(records.get('original') as Float32Array), petScore)),
  );
  const report = [
    `Head: ${head.training.model}, features ${options.featureGroups.join(', ')}; minPetProbability ${decision.minPetProbability} (chosen on validation); ${seconds} s`,
    '',
    formatEvaluation(`Validation split, detector only (pet score >= ${petScore})`, baseline),
    '',
    formatEvaluation('Validation split, detector + head', evaluation),
  ].join('\n');
  return { head, validation: evaluation, report };
}

function buildHeadFile(
  options: TrainingOptions,
  trained: TrainedHead,
  decision: HeadFile['decision'],
  evaluation: Evaluation | undefined,
  featured: readonly FeaturedImage[],
  split: { train: readonly unknown[]; validation: readonly unknown[] },
): HeadFile {
  const { hiddenUnits } = options.hyperparameters;
  return {
    format: HEAD_FILE_FORMAT,
    classes: [...HEAD_OUTPUT_CLASSES],
    featureGroups: [...options.featureGroups],
    normalization: trained.normalization,
    layers: trained.layers,
    decision,
    training: {
      dataset: resolve(options.datasetDir).split('/').slice(-1)[0] ?? options.datasetDir,
      images: countByClass(featured),
      split: { validationFraction: options.validationFraction, seed: options.seed, train: split.train.length, validation: split.validation.length },
      augmentation: ['horizontal flip'],
      model: hiddenUnits > 0 ? `dense ${hiddenUnits} ReLU + softmax` : 'multinomial logistic regression',
      hyperparameters: { ...options.hyperparameters },
      extractorVersion: EXTRACTOR_VERSION,
      validation: {
        accuracy: evaluation?.accuracy ?? 0,
        correct: evaluation?.correct ?? 0,
        total: evaluation?.total ?? 0,
        minRecall: evaluation?.minRecall ?? 0,
      },
      trainedAt: new Date().toISOString(),
    },
  };
}
