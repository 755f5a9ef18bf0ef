import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { selectBackend } from '../../server/classifier/backend.js';
import { PetHead, HEAD_FILE_FORMAT, type HeadFile } from '../../server/classifier/head.js';
import { HEAD_CLASSES, listDataset, splitDataset, type LabelledImage } from '../../server/training/dataset.js';
import { RECORD_LAYOUT } from '../../server/training/extractor.js';
import { FeatureCache } from '../../server/training/feature-cache.js';
import { evaluate } from '../../server/training/metrics.js';
import { createRandom } from '../../server/training/random.js';
import { trainHead, type HeadHyperparameters } from '../../server/training/train-head.js';

let tempDir: string;

beforeAll(async () => {
  await selectBackend('cpu');
  tempDir = await mkdtemp(join(tmpdir(), 'catdog-training-'));
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

/** Three Gaussian clusters in 8 dimensions, one per class, far enough apart to separate. */
function clusters(rowsPerClass: number, seed: number): { inputs: Float32Array[]; labels: number[] } {
  const random = createRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const inputs: Float32Array[] = [];
  const labels: number[] = [];
  for (let label = 0; label < 3; label++) {
    for (let row = 0; row < rowsPerClass; row++) {
      inputs.push(Float32Array.from({ length: 8 }, (_, index) => (index === label ? 4 : 0) + gaussian()));
      labels.push(label);
    }
  }
  return { inputs, labels };
}

function headFileOf(trained: Awaited<ReturnType<typeof trainHead>>): HeadFile {
  return {
    format: HEAD_FILE_FORMAT,
    classes: ['cat', 'dog', 'neither'],
    featureGroups: [],
    normalization: trained.normalization,
    layers: trained.layers,
    decision: { minPetProbability: 0, bothPetsMinScore: 1 },
    training: {} as HeadFile['training'],
  };
}

describe('trainHead', () => {
  const logistic: HeadHyperparameters = { hiddenUnits: 0, l2: 1e-3, epochs: 150, learningRate: 0.05, seed: 1 };

  it('gives identical weights on reruns', async () => {
    const data = clusters(30, 5);
    const first = await trainHead(data, { ...logistic, hiddenUnits: 6 });
    const second = await trainHead(data, { ...logistic, hiddenUnits: 6 });
    expect(second.layers).toEqual(first.layers);
    expect(second.normalization).toEqual(first.normalization);
  });

  it.each([0, 6])('separates clusters with %i hidden units', async (hiddenUnits) => {
    const training = clusters(40, 11);
    const trained = await trainHead(training, { ...logistic, hiddenUnits });
    expect(trained.layers).toHaveLength(hiddenUnits > 0 ? 2 : 1);

    // Score fresh rows from the same clusters through the inference code path.
    const test = clusters(20, 12);
    const layers = trained.layers;
    const predicted = test.inputs.map((input) => {
      const probabilities = predictRaw(trained.normalization, layers, input);
      return probabilities.indexOf(Math.max(...probabilities));
    });
    const correct = predicted.filter((label, index) => label === test.labels[index]).length;
    expect(correct / test.inputs.length).toBeGreaterThanOrEqual(0.95);
  });

  it('rejects weights that miss the feature groups', async () => {
    const trained = await trainHead(clusters(10, 3), logistic);
    expect(() => new PetHead(headFileOf(trained))).toThrow(/normalization/);
  });
});

/** Applies layers like PetHead.predict, without the feature-group lookup. */
function predictRaw(normalization: { mean: number[]; std: number[] }, layers: HeadFile['layers'], input: Float32Array): number[] {
  let activations = Array.from(input, (value, index) => (value - (normalization.mean[index] ?? 0)) / (normalization.std[index] ?? 1));
  for (const layer of layers) {
    const output = layer.bias.map((bias, column) => activations.reduce((sum, value, row) => sum + value * (layer.weights[row]?.[column] ?? 0), bias));
    if (layer.activation === 'relu') {
      activations = output.map((value) => Math.max(0, value));
      continue;
    }
    const max = Math.max(...output);
    const exps = output.map((value) => Math.exp(value - max));
    const total = exps.reduce((sum, value) => sum + value, 0);
    activations = exps.map((value) => value / total);
  }
  return activations;
}

async function writeImage(path: string, shade: number): Promise<void> {
  await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: shade, g: 255 - shade, b: 80 } } }).jpeg().toFile(path);
}

describe('listDataset and splitDataset', () => {
  let images: LabelledImage[];

  beforeAll(async () => {
    const datasetDir = join(tempDir, 'dataset');
    for (const label of HEAD_CLASSES) {
      await mkdir(join(datasetDir, label), { recursive: true });
      for (let index = 0; index < 10; index++) await writeImage(join(datasetDir, label, `${label}-${index}.jpg`), index * 20 + HEAD_CLASSES.indexOf(label) * 5);
    }
    await writeFile(join(datasetDir, 'cat', 'notes.txt'), 'not an image');
    images = await listDataset(datasetDir);
  });

  it('lists images per class folder', () => {
    expect(images).toHaveLength(30);
    expect(images.filter((image) => image.label === 'dog')).toHaveLength(10);
    expect(images.some((image) => image.relativePath.endsWith('.txt'))).toBe(false);
    expect(new Set(images.map((image) => image.sha256)).size).toBe(30);
  });

  it('holds out a stratified share', () => {
    const split = splitDataset(images, 0.2, 42);
    for (const label of HEAD_CLASSES) {
      expect(split.validation.filter((image) => image.label === label)).toHaveLength(2);
      expect(split.train.filter((image) => image.label === label)).toHaveLength(8);
    }
    const validationPaths = new Set(split.validation.map((image) => image.relativePath));
    expect(split.train.some((image) => validationPaths.has(image.relativePath))).toBe(false);
  });

  it('splits the same way for the same seed', () => {
    const paths = (seed: number) => splitDataset(images, 0.2, seed).validation.map((image) => image.relativePath);
    expect(paths(42)).toEqual(paths(42));
    expect(paths(43)).not.toEqual(paths(42));
  });

  it('rejects a dataset without a class folder', async () => {
    const incomplete = join(tempDir, 'incomplete');
    await mkdir(join(incomplete, 'cat'), { recursive: true });
    await writeImage(join(incomplete, 'cat', 'only.jpg'), 10);
    await expect(listDataset(incomplete)).rejects.toThrow(/dog.*missing/);
  });
});

describe('FeatureCache', () => {
  it('reads back what it wrote', async () => {
    const cache = new FeatureCache(join(tempDir, 'cache'));
    const record = Float32Array.from({ length: RECORD_LAYOUT.length }, (_, index) => index / 7);
    await cache.write('abc', 'flipped', record);
    expect(cache.has('abc', 'flipped')).toBe(true);
    expect(cache.has('abc', 'original')).toBe(false);
    expect(await cache.read('abc', 'flipped')).toEqual(record);
  });

  it('ignores a truncated record', async () => {
    const cache = new FeatureCache(join(tempDir, 'cache'));
    await mkdir(join(cache.pathOf('short', 'original'), '..'), { recursive: true });
    await writeFile(cache.pathOf('short', 'original'), new Uint8Array(12));
    expect(await cache.read('short', 'original')).toBeUndefined();
  });
});

describe('evaluate', () => {
  it('counts cat-and-dog as wrong', () => {
    const result = evaluate(['cat', 'cat', 'dog', 'neither'], ['cat', 'cat-and-dog', 'dog', 'dog']);
    expect(result.correct).toBe(2);
    expect(result.accuracy).toBe(0.5);
    expect(result.confusion).toEqual([
      [1, 0, 0, 1],
      [0, 1, 0, 0],
      [0, 1, 0, 0],
    ]);
    expect(result.perClass.map((figures) => figures.recall)).toEqual([0.5, 1, 0]);
    expect(result.perClass.map((figures) => figures.precision)).toEqual([1, 0.5, 0]);
    expect(result.minRecall).toBe(0);
  });
});
