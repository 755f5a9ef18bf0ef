import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolveConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { ClassifierPool } from '../../server/classifier/pool.js';
import type { NormalizedBox, PetDetection } from '../../server/classifier/types.js';
import { readFixture } from '../support/fixtures.js';

// The cat photo (245 x 280) is placed in the top-left corner of a grey canvas twice as wide
// and half again as tall. The cat then sits off-centre, so every wrong mapping (ignoring the
// letterbox padding, the EXIF rotation or a mirror) moves its box far away. The detector
// gets each variant at a different scale, so its boxes shift a little. The measured IoU
// with the expected box was 0.80 to 0.82, and 0.25 or less for the wrong mappings.
const MIN_IOU = 0.7;
const GREY = { r: 128, g: 128, b: 128, alpha: 1 };

let pool: ClassifierPool;
let canvas: Buffer;
/** Where the cat must appear in the canvas, derived from its box in the photo alone. */
let expected: NormalizedBox;

function bestCat(detections: readonly PetDetection[]): PetDetection {
  const cats = detections.filter((detection) => detection.label === 'cat');
  expect(cats.length).toBeGreaterThan(0);
  return cats.reduce((best, detection) => (detection.score > best.score ? detection : best));
}

function intersectionOverUnion(a: NormalizedBox, b: NormalizedBox): number {
  const width = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const height = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const intersection = width * height;
  return intersection / (a[2] * a[3] + b[2] * b[3] - intersection);
}

function expectBoxNear(actual: NormalizedBox, wanted: NormalizedBox): void {
  const overlap = intersectionOverUnion(actual, wanted);
  expect(overlap, `box [${actual.join(', ')}] vs expected [${wanted.join(', ')}]`).toBeGreaterThanOrEqual(MIN_IOU);
}

beforeAll(async () => {
  pool = await ClassifierPool.create(resolveConfig({ CATDOG_WORKERS: '2' }), createLogger('silent'));
  const photo = await readFixture('cat/cat-001.jpg');
  canvas = await sharp(photo).extend({ right: 245, bottom: 140, background: GREY }).jpeg().toBuffer();

  const [x, y, width, height] = bestCat((await pool.classify(photo)).result.detections).box;
  expected = [x / 2, (y * 2) / 3, width / 2, (height * 2) / 3];
});

afterAll(async () => {
  await pool?.close();
});

describe('boxes in the original image', () => {
  it('scale with the canvas around the photo', async () => {
    const { result } = await pool.classify(canvas);
    expect(result.image).toEqual({ width: 490, height: 420, format: 'jpeg' });
    expectBoxNear(bestCat(result.detections).box, expected);
  });

  it('follow EXIF orientation', async () => {
    // Stored turned a quarter to the left, with orientation 6 (display turned right): the
    // displayed image is the canvas.
    const sideways = await sharp(canvas).rotate(270).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const stored = await sharp(sideways).metadata();
    expect(stored.orientation).toBe(6);
    expect([stored.width, stored.height]).toEqual([420, 490]);

    const { result } = await pool.classify(sideways);
    expect(result.image).toEqual({ width: 490, height: 420, format: 'jpeg' });
    expectBoxNear(bestCat(result.detections).box, expected);
  });

  it('mirror when the image is flipped', async () => {
    const flopped = await sharp(canvas).flop().jpeg().toBuffer();

    const { result } = await pool.classify(flopped);
    const [x, y, width, height] = expected;
    expectBoxNear(bestCat(result.detections).box, [1 - x - width, y, width, height]);
  });
});
