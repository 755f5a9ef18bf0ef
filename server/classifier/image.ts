import sharp, { type Metadata, type OutputInfo } from 'sharp';

import { AppError } from '../errors.js';
import { computeLetterbox, type LetterboxGeometry } from './letterbox.js';
import { summarizeDecoderError } from './decoder-message.js';
import { sniffImageFormat, type AcceptedFormat } from './image-format.js';

/** Limits checked on the decoded image; the byte-size limit is checked before queuing. */
export interface ImageLimits {
  /** Largest accepted width * height, read from the header before decoding. */
  readonly maxImagePixels: number;
  /** Smallest accepted width or height, in pixels. */
  readonly minImageSide: number;
}

/** An image decoded and letterboxed for the detector. */
export interface PreparedImage {
  /** Letterboxed RGB pixels, row-major, shape [size, size, 3], values 0..255. */
  readonly pixels: Uint8Array;
  readonly geometry: LetterboxGeometry;
  readonly format: AcceptedFormat;
}

const BLACK = { r: 0, g: 0, b: 0, alpha: 1 } as const;

// 'error' aborts on truncated or undecodable data but, unlike sharp's default 'warning',
// accepts files that only trigger decoder warnings, such as extraneous bytes after a JPEG
// marker, which some cameras write.
const FAIL_ON = 'error';

/** Builds ERR_IMAGE_CORRUPT with a one-line message; the full decoder text stays in `cause`. */
function corruptImage(summary: string, error: unknown): AppError {
  const detail = summarizeDecoderError(error);
  return new AppError('ERR_IMAGE_CORRUPT', detail === '' ? summary : `${summary} (${detail})`, { cause: error });
}

function checkFormat(bytes: Uint8Array): AcceptedFormat {
  const sniffed = sniffImageFormat(bytes);
  if (sniffed.kind === 'accepted') return sniffed.format;

  if (sniffed.kind === 'unsupported') {
    throw new AppError('ERR_UNSUPPORTED_FORMAT', `${sniffed.format.toUpperCase()} images are not supported; send JPEG, PNG or WebP`);
  }
  throw new AppError('ERR_NOT_AN_IMAGE', 'the data is not an image (no JPEG, PNG or WebP signature); send JPEG, PNG or WebP');
}

/** Reads the header and checks the size limits before any pixel is decoded. */
async function checkDimensions(bytes: Uint8Array, format: AcceptedFormat, limits: ImageLimits): Promise<{ width: number; height: number }> {
  let metadata: Metadata;
  try {
    // The pixel limit is off here so an oversized header reaches the check below, which
    // reports it with its own code instead of sharp's generic error.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw corruptImage(`the ${format.toUpperCase()} header cannot be read`, error);
  }

  // Animated WebP and PNG report the first frame's size, which is the frame decoded.
  const { width, height } = metadata.autoOrient;
  if (width * height > limits.maxImagePixels) {
    throw new AppError('ERR_IMAGE_TOO_MANY_PIXELS', `the image is ${width}x${height} (${width * height} pixels), above the limit of ${limits.maxImagePixels} pixels (CATDOG_MAX_IMAGE_PIXELS); send a smaller image`);
  }
  if (Math.min(width, height) < limits.minImageSide) {
    throw new AppError('ERR_IMAGE_TOO_SMALL', `the image is ${width}x${height}; both sides must be at least ${limits.minImageSide} pixels`);
  }
  return { width, height };
}

/**
 * Decodes an image and letterboxes it for the detector: EXIF orientation applied, alpha
 * flattened onto black, converted to sRGB, resized to fit `size` x `size` and padded with
 * black. Animated WebP and PNG contribute their first frame.
 *
 * @throws AppError ERR_NOT_AN_IMAGE, ERR_UNSUPPORTED_FORMAT, ERR_IMAGE_CORRUPT,
 *   ERR_IMAGE_TOO_SMALL or ERR_IMAGE_TOO_MANY_PIXELS.
 */
export async function prepareImage(bytes: Uint8Array, limits: ImageLimits, size: number): Promise<PreparedImage> {
  const format = checkFormat(bytes);
  const { width, height } = await checkDimensions(bytes, format, limits);

  let output: { data: Buffer; info: OutputInfo };
  try {
    output = await sharp(bytes, { autoOrient: true, failOn: FAIL_ON, limitInputPixels: limits.maxImagePixels })
      .flatten({ background: BLACK })
      .toColourspace('srgb')
      .resize(size, size, { fit: 'contain', background: BLACK })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw corruptImage(`the ${format.toUpperCase()} data is truncated or corrupt`, error);
  }

  const { info, data } = output;
  if (info.width !== size || info.height !== size || info.channels !== 3) {
    throw new Error(`letterbox produced ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`);
  }
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), geometry: computeLetterbox(width, height, size), format };
}

/**
 * Encodes a JPEG thumbnail of an image already accepted by prepareImage: oriented,
 * flattened onto black, long side at most `maxSide` pixels (never enlarged).
 */
export async function makeThumbnail(bytes: Uint8Array, maxSide: number, maxImagePixels: number): Promise<Uint8Array> {
  const jpeg = await sharp(bytes, { autoOrient: true, failOn: FAIL_ON, limitInputPixels: maxImagePixels })
    .flatten({ background: BLACK })
    .toColourspace('srgb')
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 75, mozjpeg: false })
    .toBuffer();

  // A copy owns its ArrayBuffer, so the worker can transfer it instead of cloning it.
  return Uint8Array.from(jpeg);
}
