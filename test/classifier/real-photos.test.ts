import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolveConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { ClassifierPool } from '../../server/classifier/pool.js';
import type { ClassificationResult } from '../../server/classifier/types.js';
import { listPhotos, PHOTO_CLASSES, readFixture, type PhotoClass } from '../support/fixtures.js';

// Floors for the service with the committed head on the 30 photos in test/fixtures, which
// neither training nor threshold choice ever saw. A cat-and-dog verdict counts as wrong,
// because no fixture shows both animals.
const PHOTOS_PER_CLASS = 10;
const MIN_CORRECT = 30;
const MIN_CORRECT_PER_CLASS = 10;

let pool: ClassifierPool;
const results = new Map<string, ClassificationResult>();

beforeAll(async () => {
  pool = await ClassifierPool.create(resolveConfig({ CATDOG_WORKERS: '2' }), createLogger('silent'));

  const photos = PHOTO_CLASSES.flatMap((photoClass) => listPhotos(photoClass));
  await Promise.all(
    photos.map(async (photo) => {
      const { result } = await pool.classify(await readFixture(photo));
      results.set(photo, result);
    }),
  );
});

afterAll(async () => {
  await pool?.close();
});

function misclassified(photoClass: PhotoClass): string[] {
  return listPhotos(photoClass)
    .filter((photo) => results.get(photo)?.verdict !== photoClass)
    .map((photo) => `${photo}: ${results.get(photo)?.verdict}`);
}

describe('real photos', () => {
  it.each(PHOTO_CLASSES)('gets %s photos right', (photoClass) => {
    const wrong = misclassified(photoClass);
    expect(listPhotos(photoClass)).toHaveLength(PHOTOS_PER_CLASS);
    expect(PHOTOS_PER_CLASS - wrong.length, wrong.join('\n')).toBeGreaterThanOrEqual(MIN_CORRECT_PER_CLASS);
  });

  it('reaches the overall floor', () => {
    const wrong = PHOTO_CLASSES.flatMap((photoClass) => misclassified(photoClass));
    expect(results.size).toBe(PHOTO_CLASSES.length * PHOTOS_PER_CLASS);
    expect(results.size - wrong.length, wrong.join('\n')).toBeGreaterThanOrEqual(MIN_CORRECT);
  });

  it('boxes every pet it names', () => {
    for (const [photo, result] of results) {
      if (result.verdict !== 'cat' && result.verdict !== 'dog') continue;
      expect(result.detections.length, photo).toBeGreaterThan(0);
      expect(result.detections.every((detection) => detection.label === result.verdict), photo).toBe(true);
    }
  });

  it('shows no pet boxes for neither', () => {
    for (const [photo, result] of results) {
      if (result.verdict === 'neither') expect(result.detections, photo).toEqual([]);
    }
  });
});
