import { crc32, deflateSync } from 'node:zlib';

import sharp from 'sharp';

import { readFixture } from './fixtures.js';

function pngChunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const chunk = Buffer.alloc(4 + typeAndData.length + 4);
  chunk.writeUInt32BE(data.length, 0);
  typeAndData.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndData), 4 + typeAndData.length);
  return chunk;
}

/**
 * A 370-byte PNG whose header claims width x height RGB pixels: a decompression bomb that
 * must be rejected from the header alone, since decoding it would need gigabytes.
 */
export function pngClaimingSize(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(Buffer.alloc(width + 1))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be reproduced. */
export function randomBytes(length: number, seed = 0x9e3779b9): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** Two-frame animation whose first frame is `first` and second frame is black. */
async function twoFrames(first: Buffer): Promise<{ frames: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(first).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { frames: Buffer.concat([data, Buffer.alloc(data.length)]), width: info.width, height: info.height };
}

export async function animatedWebp(first: Buffer): Promise<Buffer> {
  const { frames, width, height } = await twoFrames(first);
  return sharp(frames, { raw: { width, height: height * 2, channels: 4, pageHeight: height } }).webp({ loop: 0, delay: [500, 500] }).toBuffer();
}

export async function animatedGif(first: Buffer): Promise<Buffer> {
  const { frames, width, height } = await twoFrames(first);
  return sharp(frames, { raw: { width, height: height * 2, channels: 4, pageHeight: height } }).gif({ loop: 0, delay: [500, 500] }).toBuffer();
}

/** One bad or unusual input and what the classifier must do with it. */
export interface InputCase {
  readonly name: string;
  readonly bytes: Buffer;
  /** The AppError code expected, or 'classifies' when a verdict is expected. */
  readonly expected: string;
}

/**
 * Builds the table of unusual inputs, mostly derived from the cat photo cat/cat-001.jpg, so
 * that valid variants are expected to still be classified as a cat.
 */
export async function buildInputCases(): Promise<InputCase[]> {
  const cat = await readFixture('cat/cat-001.jpg');
  const withAlpha = await sharp(cat).ensureAlpha(0.6).png().toBuffer();

  return [
    { name: 'zero bytes', bytes: Buffer.alloc(0), expected: 'ERR_IMAGE_EMPTY' },
    { name: 'random bytes', bytes: randomBytes(4096), expected: 'ERR_NOT_AN_IMAGE' },
    { name: 'text file', bytes: Buffer.from('name,verdict\ncat-001.jpg,cat\n', 'utf8'), expected: 'ERR_NOT_AN_IMAGE' },
    { name: 'SVG document', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle r="30"/></svg>'), expected: 'ERR_UNSUPPORTED_FORMAT' },
    { name: 'truncated JPEG', bytes: cat.subarray(0, Math.floor(cat.length * 0.6)), expected: 'ERR_IMAGE_CORRUPT' },
    { name: 'JPEG signature only', bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), expected: 'ERR_IMAGE_CORRUPT' },
    { name: '1x1 PNG', bytes: await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toBuffer(), expected: 'ERR_IMAGE_TOO_SMALL' },
    { name: 'PNG header claiming 30000x30000', bytes: pngClaimingSize(30_000, 30_000), expected: 'ERR_IMAGE_TOO_MANY_PIXELS' },
    { name: 'animated GIF', bytes: await animatedGif(cat), expected: 'ERR_UNSUPPORTED_FORMAT' },
    { name: 'TIFF', bytes: await sharp(cat).tiff().toBuffer(), expected: 'ERR_UNSUPPORTED_FORMAT' },
    { name: 'CMYK JPEG', bytes: await sharp(cat).toColourspace('cmyk').jpeg().toBuffer(), expected: 'classifies' },
    { name: 'grayscale JPEG', bytes: await sharp(cat).grayscale().jpeg().toBuffer(), expected: 'classifies' },
    { name: 'PNG with alpha', bytes: withAlpha, expected: 'classifies' },
    { name: 'animated WebP', bytes: await animatedWebp(cat), expected: 'classifies' },
  ];
}
