import { writeFile } from 'node:fs/promises';

import sharp from 'sharp';

export interface Y4mOptions {
  width: number;
  height: number;
  framesPerSecond: number;
  /** Video frames each photo is shown for. */
  framesPerPhoto: number;
}

/** Converts one RGB pixel row-major buffer to planar YUV 4:2:0 with BT.601 limited-range coefficients. */
function rgbToI420(rgb: Buffer, width: number, height: number): Buffer {
  const ySize = width * height;
  const chromaWidth = width / 2;
  const chromaSize = chromaWidth * (height / 2);
  const out = Buffer.alloc(ySize + 2 * chromaSize);

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const index = (y * width + x) * 3;
      const r = rgb[index] ?? 0;
      const g = rgb[index + 1] ?? 0;
      const b = rgb[index + 2] ?? 0;
      out[y * width + x] = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  }

  // Chroma from the mean of each 2x2 block.
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < chromaWidth; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const index = ((2 * y + dy) * width + 2 * x + dx) * 3;
        r += rgb[index] ?? 0;
        g += rgb[index + 1] ?? 0;
        b += rgb[index + 2] ?? 0;
      }
      r /= 4 * 255;
      g /= 4 * 255;
      b /= 4 * 255;
      out[ySize + y * chromaWidth + x] = Math.round(128 - 37.797 * r - 74.203 * g + 112 * b);
      out[ySize + chromaSize + y * chromaWidth + x] = Math.round(128 + 112 * r - 93.786 * g - 18.214 * b);
    }
  }
  return out;
}

/**
 * Writes a YUV4MPEG2 (.y4m) video of the photos, each letterboxed onto black, for
 * Chromium's --use-file-for-fake-video-capture. Chromium loops the file.
 */
export async function writeY4m(path: string, photos: readonly Buffer[], options: Y4mOptions): Promise<void> {
  const { width, height, framesPerSecond, framesPerPhoto } = options;
  if (width % 2 !== 0 || height % 2 !== 0) throw new Error(`y4m 4:2:0 needs even sides, got ${width}x${height}`);

  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F${framesPerSecond}:1 Ip A1:1 C420\n`, 'ascii')];
  for (const photo of photos) {
    const rgb = await sharp(photo)
      .rotate()
      .resize(width, height, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
      .removeAlpha()
      .raw()
      .toBuffer();
    const frame = rgbToI420(rgb, width, height);
    for (let index = 0; index < framesPerPhoto; index++) parts.push(Buffer.from('FRAME\n', 'ascii'), frame);
  }
  await writeFile(path, Buffer.concat(parts));
}
