import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { HEAD_OUTPUT_CLASSES, headFilePath, loadPetHead, type HeadFile } from '../../server/classifier/head.js';
import { FEATURE_GROUPS } from '../../server/classifier/head-features.js';
import { findModelsDir } from '../../server/classifier/model-files.js';
import { EXTRACTOR_VERSION } from '../../server/training/extractor.js';

const modelsDir = findModelsDir();

// Floors at the committed head's own validation figures (94.3% right, lowest class recall
// 91.7%); a retrained head must do at least as well.
const VALIDATION_ACCURACY_FLOOR = 0.94;
const VALIDATION_RECALL_FLOOR = 0.9;

async function readHeadFile(): Promise<HeadFile> {
  return JSON.parse(await readFile(headFilePath(modelsDir), 'utf8')) as HeadFile;
}

describe('committed head', () => {
  it('loads and validates', async () => {
    const head = await loadPetHead(modelsDir);
    expect(head).toBeDefined();
    expect(head?.featureGroups.length).toBeGreaterThan(0);
  });

  it('was trained on current features', async () => {
    // A head trained on features from another extractor version gets different inputs at
    // inference, so retrain it after changing preprocessing or feature groups.
    expect((await readHeadFile()).training.extractorVersion).toBe(EXTRACTOR_VERSION);
  });

  it('records consistent validation figures', async () => {
    const { training } = await readHeadFile();
    const imageCount = HEAD_OUTPUT_CLASSES.reduce((sum, label) => sum + training.images[label], 0);
    expect(training.split.train + training.split.validation).toBe(imageCount);
    expect(training.validation.total).toBe(training.split.validation);
    expect(training.validation.accuracy).toBeCloseTo(training.validation.correct / training.validation.total, 10);
    expect(training.validation.minRecall).toBeLessThanOrEqual(training.validation.accuracy + 1e-9);
  });

  it('meets the validation floor', async () => {
    const { training } = await readHeadFile();
    expect(training.validation.accuracy).toBeGreaterThanOrEqual(VALIDATION_ACCURACY_FLOOR);
    expect(training.validation.minRecall).toBeGreaterThanOrEqual(VALIDATION_RECALL_FLOOR);
  });

  it('sizes its input from its groups', async () => {
    const file = await readHeadFile();
    const inputLength = file.featureGroups.reduce((sum, group) => sum + FEATURE_GROUPS[group].length, 0);
    expect(file.normalization.mean).toHaveLength(inputLength);
    expect(file.layers[0]?.weights).toHaveLength(inputLength);
  });
});
