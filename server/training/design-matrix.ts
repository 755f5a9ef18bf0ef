import { FEATURE_GROUPS, decodeDetections, detectionFeatures, type FeatureGroupName, type RawDetection } from '../classifier/head-features.js';
import { assembleHeadInput } from '../classifier/head.js';
import type { FeaturedImage } from './collect.js';
import { HEAD_CLASSES } from './dataset.js';
import { RECORD_LAYOUT, type Variant } from './extractor.js';

/** Training or evaluation rows: one input vector and class index per image variant. */
export interface DesignMatrix {
  readonly inputs: Float32Array[];
  /** Index into HEAD_CLASSES. */
  readonly labels: number[];
}

/** Splits a cached record back into its feature groups. */
export function recordGroups(record: Float32Array, groups: readonly FeatureGroupName[]): Map<FeatureGroupName, Float32Array> {
  const features = new Map<FeatureGroupName, Float32Array>();
  for (const group of groups) {
    const fromDetections = detectionFeatures(group, recordDetections(record));
    const stored = RECORD_LAYOUT.groups[group];
    if (fromDetections !== undefined) {
      features.set(group, fromDetections);
    } else if (stored !== undefined) {
      features.set(group, record.subarray(stored.offset, stored.offset + FEATURE_GROUPS[group].length));
    } else {
      throw new Error(`feature group '${group}' is neither stored in feature records nor computed from detections`);
    }
  }
  return features;
}

/** Returns the raw detector rows stored in a record. */
export function recordDetections(record: Float32Array): RawDetection[] {
  const { offset, length } = RECORD_LAYOUT.detections;
  return decodeDetections(record.subarray(offset, offset + length));
}

/** Builds rows for the given groups, one per image and variant, in image order. */
export function buildDesignMatrix(images: readonly FeaturedImage[], groups: readonly FeatureGroupName[], variants: readonly Variant[]): DesignMatrix {
  const inputs: Float32Array[] = [];
  const labels: number[] = [];
  for (const { image, records } of images) {
    for (const variant of variants) {
      const record = records.get(variant);
      if (record === undefined) throw new Error(`no ${variant} features for ${image.relativePath}`);
      inputs.push(assembleHeadInput(groups, recordGroups(record, groups)));
      labels.push(HEAD_CLASSES.indexOf(image.label));
    }
  }
  return { inputs, labels };
}
