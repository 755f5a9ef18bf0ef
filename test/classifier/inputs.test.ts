import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolveConfig } from '../../server/config.js';
import { AppError } from '../../server/errors.js';
import { createLogger } from '../../server/logger.js';
import { ClassifierPool } from '../../server/classifier/pool.js';
import { buildInputCases, randomBytes, type InputCase } from '../support/bad-inputs.js';
import { readFixture } from '../support/fixtures.js';

let pool: ClassifierPool;
let strictPool: ClassifierPool;
let cases: InputCase[];

beforeAll(async () => {
  cases = await buildInputCases();
  [pool, strictPool] = await Promise.all([
    ClassifierPool.create(resolveConfig({ CATDOG_WORKERS: '1' }), createLogger('silent')),
    // Small limits, so real photos cross them.
    ClassifierPool.create(resolveConfig({ CATDOG_WORKERS: '1', CATDOG_MAX_IMAGE_BYTES: '65536', CATDOG_MAX_IMAGE_PIXELS: '50000' }), createLogger('silent')),
  ]);
});

afterAll(async () => {
  await Promise.all([pool?.close(), strictPool?.close()]);
});

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).code;
  }
  return 'no error';
}

describe('unusual inputs', () => {
  it('covers every case in the table', () => {
    expect(cases.map((input) => input.name)).toHaveLength(14);
  });

  it.each([
    'zero bytes',
    'random bytes',
    'text file',
    'SVG document',
    'truncated JPEG',
    'JPEG signature only',
    '1x1 PNG',
    'PNG header claiming 30000x30000',
    'animated GIF',
    'TIFF',
  ])('rejects %s with its code', async (name) => {
    const input = cases.find((candidate) => candidate.name === name);
    expect(input).toBeDefined();
    expect(await errorCode(pool.classify(input!.bytes))).toBe(input!.expected);
  });

  it.each(['CMYK JPEG', 'grayscale JPEG', 'PNG with alpha', 'animated WebP'])('classifies %s as the cat it shows', async (name) => {
    const input = cases.find((candidate) => candidate.name === name);
    expect(input?.expected).toBe('classifies');

    const { result } = await pool.classify(input!.bytes);
    expect(result.verdict).toBe('cat');
    expect(result.image.width).toBe(245);
    expect(result.image.height).toBe(280);
  });

  it('rejects every bad input with a one-line message', async () => {
    const photo = await readFixture('cat/cat-001.jpg');
    // Cuts inside the JPEG header, where libvips repeats its warnings line by line.
    const cuts = [300, 600, 1200].map((length) => ({ name: `JPEG cut to ${length} bytes`, bytes: photo.subarray(0, length) }));
    const rejected = [...cases.filter((input) => input.expected !== 'classifies'), ...cuts];

    for (const input of rejected) {
      const error = await pool.classify(input.bytes).then(
        () => undefined,
        (reason: unknown) => reason as AppError,
      );
      expect(error, input.name).toBeInstanceOf(AppError);
      expect(error!.message, input.name).not.toMatch(/[\r\n]/);
      expect(error!.message, input.name).not.toContain('Vips');
      expect(error!.message.length, input.name).toBeLessThanOrEqual(200);
    }
  });

  it('keeps working after every bad input', async () => {
    await Promise.allSettled(cases.map((input) => pool.classify(input.bytes)));
    const { result } = await pool.classify(await readFixture('cat/cat-001.jpg'));
    expect(result.verdict).toBe('cat');
    expect(pool.ready).toBe(true);
  });
});

describe('input limits', () => {
  it('rejects more bytes than maxImageBytes before queuing', async () => {
    const noise = await sharp(randomBytes(200 * 200 * 3), { raw: { width: 200, height: 200, channels: 3 } }).png().toBuffer();
    expect(noise.byteLength).toBeGreaterThan(65_536);

    expect(await errorCode(strictPool.classify(noise))).toBe('ERR_IMAGE_TOO_LARGE');
    expect(strictPool.queued).toBe(0);
  });

  it('rejects more pixels than maxImagePixels', async () => {
    const photo = await readFixture('cat/cat-001.jpg'); // 245 x 280 = 68600 pixels
    expect(photo.byteLength).toBeLessThan(65_536);
    expect(await errorCode(strictPool.classify(photo))).toBe('ERR_IMAGE_TOO_MANY_PIXELS');
  });

  it('accepts an image just inside both limits', async () => {
    const small = await sharp(await readFixture('cat/cat-001.jpg')).resize(175, 280, { fit: 'fill' }).jpeg().toBuffer(); // 49000 pixels
    const { result } = await strictPool.classify(small);
    expect(result.image).toEqual({ width: 175, height: 280, format: 'jpeg' });
  });

  it('rejects a side shorter than 16 pixels', async () => {
    const thin = await sharp({ create: { width: 15, height: 400, channels: 3, background: '#336699' } }).png().toBuffer();
    expect(await errorCode(pool.classify(thin))).toBe('ERR_IMAGE_TOO_SMALL');
  });

  it('accepts a 16x16 image', async () => {
    const tiny = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } }).png().toBuffer();
    const { result } = await pool.classify(tiny);
    expect(result.verdict).toBe('neither');
  });

  it('rejects data that is not a Uint8Array', async () => {
    expect(await errorCode(pool.classify('cat.jpg' as unknown as Uint8Array))).toBe('ERR_NOT_AN_IMAGE');
  });
});
