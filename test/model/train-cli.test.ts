import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EXTRACTOR_VERSION } from '../../server/training/extractor.js';
import { fixturePath, listPhotos, PHOTO_CLASSES } from '../support/fixtures.js';

const run = promisify(execFile);
// npm test builds dist/ before vitest runs, so the CLI under test is the compiled one.
const TRAIN_SCRIPT = join(import.meta.dirname, '..', '..', 'dist', 'scripts', 'train.js');

let tempDir: string;
let datasetDir: string;
let cacheDir: string;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'catdog-train-cli-'));
  datasetDir = join(tempDir, 'dataset');
  cacheDir = join(tempDir, 'cache');

  // Four photos per class: enough for a stratified 25% split of one photo per class.
  for (const photoClass of PHOTO_CLASSES) {
    await mkdir(join(datasetDir, photoClass), { recursive: true });
    for (const photo of listPhotos(photoClass).slice(0, 4)) await copyFile(fixturePath(photo), join(datasetDir, photo));
  }
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

async function train(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [TRAIN_SCRIPT, datasetDir, '--cache-dir', cacheDir, '--validation-fraction', '0.25', '--epochs', '50', '--dry-run', ...args]);
}

describe('npm run train', () => {
  it('extracts, trains and reports', async () => {
    const { stdout, stderr } = await train();
    expect(stderr).toContain('12 images, 9 for training, 3 for validation');
    expect(stdout).toMatch(/Validation split, detector \+ head\*\*: \d\/3 right/);
    expect(stdout).toContain('| true \\ verdict | cat | dog | neither | cat-and-dog |');

    // Twelve photos, each cached as stored and mirrored.
    expect(await readdir(join(cacheDir, EXTRACTOR_VERSION))).toHaveLength(24);
  });

  it('reuses cached features', async () => {
    const { stderr } = await train();
    expect(stderr).not.toContain('features: extracted');
  });

  it('rejects an unknown feature group', async () => {
    const failure = await train('--groups', 'classScores,wings').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('unknown or no groups (wings)');
  });
});
