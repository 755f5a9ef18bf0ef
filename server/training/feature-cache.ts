import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { EXTRACTOR_VERSION, RECORD_LAYOUT, type Variant } from './extractor.js';

/**
 * Feature records on disk, one file of float32 values (platform byte order) per image and variant,
 * under CACHE_DIR/EXTRACTOR_VERSION/. Keyed by the image's sha256, so renamed or moved
 * photos still hit the cache and an edited photo misses it.
 */
export class FeatureCache {
  private readonly dir: string;

  constructor(cacheRoot: string) {
    this.dir = join(cacheRoot, EXTRACTOR_VERSION);
  }

  pathOf(sha256: string, variant: Variant): string {
    return join(this.dir, `${sha256}-${variant}.f32`);
  }

  has(sha256: string, variant: Variant): boolean {
    return existsSync(this.pathOf(sha256, variant));
  }

  /** Reads a record; returns undefined when it is missing or has the wrong length. */
  async read(sha256: string, variant: Variant): Promise<Float32Array | undefined> {
    const path = this.pathOf(sha256, variant);
    if (!existsSync(path)) return undefined;

    const bytes = await readFile(path);
    if (bytes.byteLength !== RECORD_LAYOUT.length * 4) return undefined;
    const record = new Float32Array(RECORD_LAYOUT.length);
    new Uint8Array(record.buffer).set(bytes);
    return record;
  }

  /** Writes a record through a temporary file, so a crash never leaves a truncated entry. */
  async write(sha256: string, variant: Variant, record: Float32Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const path = this.pathOf(sha256, variant);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, new Uint8Array(record.buffer, record.byteOffset, record.byteLength));
    await rename(temporary, path);
  }
}
