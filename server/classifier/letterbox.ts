import type { NormalizedBox } from './types.js';

/**
 * Placement of an image inside the square model input after a fit-contain resize:
 * scaled to fit, centred, the rest padded with black.
 */
export interface LetterboxGeometry {
  /** Side of the square model input, in pixels. */
  readonly size: number;
  /** Original image size after EXIF orientation, in pixels. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  /** Size of the scaled image inside the square, in pixels. */
  readonly contentWidth: number;
  readonly contentHeight: number;
  /** Padding on the left and top, in pixels of the model input. */
  readonly offsetX: number;
  readonly offsetY: number;
}

/**
 * Computes where sharp's `resize(size, size, { fit: 'contain' })` puts an image of the given
 * size. The scaled side is rounded to the nearest pixel, and the odd pixel of padding goes
 * to the right or bottom. test/classifier/letterbox.test.ts compares this with sharp's own
 * output, so a change in sharp's rounding fails there.
 */
export function computeLetterbox(sourceWidth: number, sourceHeight: number, size: number): LetterboxGeometry {
  const scale = Math.min(size / sourceWidth, size / sourceHeight);
  const contentWidth = Math.min(size, Math.max(1, Math.round(sourceWidth * scale)));
  const contentHeight = Math.min(size, Math.max(1, Math.round(sourceHeight * scale)));

  return {
    size,
    sourceWidth,
    sourceHeight,
    contentWidth,
    contentHeight,
    offsetX: Math.floor((size - contentWidth) / 2),
    offsetY: Math.floor((size - contentHeight) / 2),
  };
}

function clampUnit(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/**
 * Maps a box from model-input pixels (corners x1, y1, x2, y2) back to the original image,
 * as [x, y, width, height] normalized to 0..1. Parts of the box that lie in the padding are
 * clipped away.
 */
export function toNormalizedBox(
  geometry: LetterboxGeometry,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
): NormalizedBox {
  const left = clampUnit((Math.min(x1, x2) - geometry.offsetX) / geometry.contentWidth);
  const top = clampUnit((Math.min(y1, y2) - geometry.offsetY) / geometry.contentHeight);
  const right = clampUnit((Math.max(x1, x2) - geometry.offsetX) / geometry.contentWidth);
  const bottom = clampUnit((Math.max(y1, y2) - geometry.offsetY) / geometry.contentHeight);

  return [left, top, right - left, bottom - top];
}
