import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';

import { createRandom, shuffled } from './random.js';

/** Classes the head predicts, in the order of its outputs. */
export const HEAD_CLASSES = ['cat', 'dog', 'neither'] as const;
export type HeadClass = (typeof HEAD_CLASSES)[number];

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface LabelledImage {
  /** Path relative to the dataset folder, e.g. `cat/cat-001.jpg`. */
  readonly relativePath: string;
  readonly path: string;
  readonly label: HeadClass;
  /** sha256 of the file's bytes: the key of its cached features. */
  readonly sha256: string;
}

/**
 * Lists the images in DATASET_DIR/{cat,dog,neither}/, sorted by path. Files with other
 * extensions are skipped.
 *
 * @throws Error when a class folder is missing or empty.
 */
export async function listDataset(datasetDir: string): Promise<LabelledImage[]> {
  const images: LabelledImage[] = [];

  for (const label of HEAD_CLASSES) {
    const classDir = join(datasetDir, label);
    if (!existsSync(classDir)) {
      throw new Error(`dataset folder ${classDir} is missing; expected ${HEAD_CLASSES.map((name) => `${name}/`).join(', ')} under ${datasetDir}`);
    }

    const names = (await readdir(classDir)).filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase())).sort();
    if (names.length === 0) throw new Error(`dataset folder ${classDir} has no .jpg, .jpeg, .png or .webp images`);

    for (const name of names) {
      const path = join(classDir, name);
      const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
      images.push({ relativePath: `${label}/${name}`, path, label, sha256 });
    }
  }
  return images;
}

export interface DatasetSplit {
  readonly train: LabelledImage[];
  readonly validation: LabelledImage[];
}

/**
 * Splits each class separately (stratified): a seeded shuffle of the class's images sorted by
 * path, with the first round(count * validationFraction) held out for validation.
 */
export function splitDataset(images: readonly LabelledImage[], validationFraction: number, seed: number): DatasetSplit {
  const random = createRandom(seed);
  const train: LabelledImage[] = [];
  const validation: LabelledImage[] = [];

  for (const label of HEAD_CLASSES) {
    const ofClass = images.filter((image) => image.label === label).sort((a, b) => a.relativePath.localeCompare(b.relativePath));
    const order = shuffled(ofClass, random);
    const held = Math.round(order.length * validationFraction);
    validation.push(...order.slice(0, held));
    train.push(...order.slice(held));
  }
  return { train, validation };
}
