import type { ExtractionProgress } from './extract-pool.js';
import { extractMissing } from './extract-pool.js';
import type { LabelledImage } from './dataset.js';
import type { Variant } from './extractor.js';
import { FeatureCache } from './feature-cache.js';

/** An image with its cached feature records. */
export interface FeaturedImage {
  readonly image: LabelledImage;
  readonly records: ReadonlyMap<Variant, Float32Array>;
}

export interface CollectOptions {
  readonly modelsDir: string;
  readonly cacheRoot: string;
  readonly workers: number;
  readonly variants: readonly Variant[];
  readonly onProgress?: (progress: ExtractionProgress) => void;
}

/**
 * Returns the feature records of every image and variant, running the detector only for those
 * that are not cached yet.
 */
export async function collectFeatures(images: readonly LabelledImage[], options: CollectOptions): Promise<FeaturedImage[]> {
  const cache = new FeatureCache(options.cacheRoot);
  const requests = images.flatMap((image) => options.variants.map((variant) => ({ path: image.path, sha256: image.sha256, variant })));
  await extractMissing(requests, cache, options);

  const featured: FeaturedImage[] = [];
  for (const image of images) {
    const records = new Map<Variant, Float32Array>();
    for (const variant of options.variants) {
      const record = await cache.read(image.sha256, variant);
      if (record === undefined) throw new Error(`cached features for ${image.path} (${variant}) are missing or truncated after extraction`);
      records.set(variant, record);
    }
    featured.push({ image, records });
  }
  return featured;
}
