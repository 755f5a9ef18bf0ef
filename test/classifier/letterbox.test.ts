import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { computeLetterbox, toNormalizedBox } from '../../server/classifier/letterbox.js';

/** Finds the bounding box of bright pixels in a letterboxed RGB square: where the image landed. */
function brightRegion(pixels: Buffer, size: number): { left: number; top: number; width: number; height: number } {
  let left = size;
  let top = size;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if ((pixels[(y * size + x) * 3] ?? 0) < 128) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  return { left, top, width: right - left + 1, height: bottom - top + 1 };
}

describe('computeLetterbox', () => {
  it('centres a landscape image with bands above and below', () => {
    expect(computeLetterbox(640, 480, 512)).toEqual({
      size: 512,
      sourceWidth: 640,
      sourceHeight: 480,
      contentWidth: 512,
      contentHeight: 384,
      offsetX: 0,
      offsetY: 64,
    });
  });

  it('centres a portrait image with bands left and right', () => {
    const geometry = computeLetterbox(333, 1000, 512);
    expect(geometry.contentWidth).toBe(170);
    expect(geometry.contentHeight).toBe(512);
    expect(geometry.offsetX).toBe(171);
    expect(geometry.offsetY).toBe(0);
  });

  it('keeps at least one pixel for extreme aspect ratios', () => {
    const geometry = computeLetterbox(10_000, 16, 512);
    expect(geometry.contentHeight).toBe(1);
    expect(geometry.offsetY).toBe(255);
  });

  // sharp decides the real placement; these sizes cover odd padding and rounding both ways.
  it.each([
    [640, 480],
    [641, 479],
    [333, 1000],
    [1000, 3],
    [3, 7],
    [500, 501],
    [1001, 999],
    [1920, 1080],
    [17, 16],
    [512, 100],
  ])('matches sharp fit contain for %ix%i', async (width, height) => {
    const white = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).png().toBuffer();
    const { data } = await sharp(white)
      .resize(512, 512, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 1 } })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });

    const geometry = computeLetterbox(width, height, 512);
    expect(brightRegion(data, 512)).toEqual({
      left: geometry.offsetX,
      top: geometry.offsetY,
      width: geometry.contentWidth,
      height: geometry.contentHeight,
    });
  });
});

describe('toNormalizedBox', () => {
  const geometry = computeLetterbox(640, 480, 512); // content 512 x 384 at y = 64

  it('maps the whole content area to the whole image', () => {
    expect(toNormalizedBox(geometry, 0, 64, 512, 448)).toEqual([0, 0, 1, 1]);
  });

  it('maps an inner box to normalized x, y, width, height', () => {
    const [x, y, width, height] = toNormalizedBox(geometry, 128, 160, 384, 448);
    expect(x).toBeCloseTo(0.25, 6);
    expect(y).toBeCloseTo(0.25, 6);
    expect(width).toBeCloseTo(0.5, 6);
    expect(height).toBeCloseTo(0.75, 6);
  });

  it('clips the parts of a box that lie in the padding', () => {
    expect(toNormalizedBox(geometry, -20, 0, 600, 512)).toEqual([0, 0, 1, 1]);
  });

  it('orders swapped corners', () => {
    expect(toNormalizedBox(geometry, 512, 448, 0, 64)).toEqual([0, 0, 1, 1]);
  });

  it('gives an empty box for one entirely in the padding', () => {
    const [, , width, height] = toNormalizedBox(geometry, 10, 0, 100, 40);
    expect(width).toBeGreaterThan(0);
    expect(height).toBe(0);
  });
});
