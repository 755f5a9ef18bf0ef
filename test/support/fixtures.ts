import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of committed test images; see test/fixtures/SOURCES.md. */
export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** Classes of the real-photo fixtures, named after their folders. */
export const PHOTO_CLASSES = ['cat', 'dog', 'neither'] as const;
export type PhotoClass = (typeof PHOTO_CLASSES)[number];

export function fixturePath(relativePath: string): string {
  return join(FIXTURES_DIR, relativePath);
}

export async function readFixture(relativePath: string): Promise<Buffer> {
  return readFile(fixturePath(relativePath));
}

/** Lists the photos of one class as paths relative to the fixtures folder, sorted by name. */
export function listPhotos(photoClass: PhotoClass): string[] {
  return readdirSync(join(FIXTURES_DIR, photoClass))
    .filter((name) => /\.(jpe?g|png|webp)$/i.test(name))
    .sort()
    .map((name) => `${photoClass}/${name}`);
}
