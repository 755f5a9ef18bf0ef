import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolveConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { ClassifierPool } from '../../server/classifier/pool.js';
import type { Verdict } from '../../server/classifier/types.js';
import { listPhotos, PHOTO_CLASSES, readFixture, type PhotoClass } from '../support/fixtures.js';

// The expected verdict for each fixture folder. A cat-and-dog verdict counts as wrong for
// every folder, because no fixture shows both animals.
const expectedVerdict: Readonly<Record<PhotoClass, Verdict>> = { cat: 'cat', dog: 'dog', neither: 'neither' };

let pool: ClassifierPool;
const verdicts = new Map<string, Verdict>();

beforeAll(async () => {
  pool = await ClassifierPool.create(resolveConfig({ CATDOG_WORKERS: '2' }), createLogger('silent'));

  const photos = PHOTO_CLASSES.flatMap((photoClass) => listPhotos(photoClass));
  await Promise.all(
    photos.map(async (photo) => {
      const { result } = await pool.classify(await readFixture(photo));
      verdicts.set(photo, result.verdict);
    }),
  );
});

afterAll(async () => {
  await pool?.close();
});

function misclassified(photoClass: PhotoClass): string[] {
  return listPhotos(photoClass)
    .filter((photo) => verdicts.get(photo) !== expectedVerdict[photoClass])
    .map((photo) => `${photo}: ${verdicts.get(photo)}`);
}

describe('real photos', () => {
  it.each(PHOTO_CLASSES)('classifies at least 8 of 10 %s photos correctly', (photoClass) => {
    expect(listPhotos(photoClass)).toHaveLength(10);
    expect(misclassified(photoClass).length, misclassified(photoClass).join('\n')).toBeLessThanOrEqual(2);
  });

  it('classifies at least 90% of all photos correctly', () => {
    const wrong = PHOTO_CLASSES.flatMap((photoClass) => misclassified(photoClass));
    expect(verdicts.size).toBe(30);
    expect(wrong.length, wrong.join('\n')).toBeLessThanOrEqual(3);
  });
});
