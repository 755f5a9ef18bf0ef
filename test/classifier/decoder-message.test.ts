import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { summarizeDecoderError } from '../../server/classifier/decoder-message.js';
import { readFixture } from '../support/fixtures.js';

/** Returns the error sharp throws on these bytes. */
async function sharpError(bytes: Uint8Array): Promise<Error> {
  const error = await sharp(bytes, { failOn: 'error' })
    .raw()
    .toBuffer()
    .then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
  expect(error).toBeInstanceOf(Error);
  return error!;
}

describe('summarizeDecoderError', () => {
  it('condenses repeated libvips lines into one', async () => {
    const photo = await readFixture('cat/cat-001.jpg');
    const error = await sharpError(photo.subarray(0, 300));
    // The raw text is what clients must not see: several lines, some repeated.
    expect(error.message.split('\n').length).toBeGreaterThan(1);

    const summary = summarizeDecoderError(error);
    expect(summary).not.toContain('\n');
    expect(summary).not.toMatch(/Vips\w*:/);
    expect(summary).toContain('premature end of JPEG image');
    expect(summary.match(/premature end of JPEG image/g)).toHaveLength(1);
  });

  it('keeps distinct lines in order', () => {
    const summary = summarizeDecoderError(new Error('VipsJpeg: first problem\nVipsJpeg: second problem\nVipsJpeg: first problem\n'));
    expect(summary).toBe('first problem; second problem');
  });

  it('cuts a long detail at 120 characters', () => {
    const summary = summarizeDecoderError(new Error(`VipsPng: ${'x'.repeat(500)}`));
    expect(summary).toHaveLength(120);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('returns an empty string for an empty message', () => {
    expect(summarizeDecoderError(new Error('\n  \n'))).toBe('');
  });
});
