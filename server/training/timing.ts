import { performance } from 'node:perf_hooks';

import { configDefaults } from '../config.js';
import { Detector } from '../classifier/detector.js';
import { computeFeatureGroups, graphNodesFor } from '../classifier/head-features.js';
import { detectorPetScoresOf, type PetHead } from '../classifier/head.js';
import { prepareImage } from '../classifier/image.js';
import { readDetectorManifest, readModelArtifacts } from '../classifier/model-files.js';

export interface FrameTiming {
  /** Median time of the detector alone per frame, in ms. */
  readonly detectorMs: number;
  /** Median time of the detector pass with the head's extra outputs, features and verdict, in ms. */
  readonly withHeadMs: number;
  /** (withHeadMs - detectorMs) / detectorMs. */
  readonly addedFraction: number;
  readonly frames: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * Measures per-frame inference time on the current backend in this thread, with and without
 * the head, on already letterboxed frames (decoding is the same in both and left out). The two
 * variants alternate frame by frame, so load from other processes affects both alike.
 */
export async function measureFrameTiming(modelsDir: string, head: PetHead, images: readonly Uint8Array[], rounds: number): Promise<FrameTiming> {
  const manifest = await readDetectorManifest(modelsDir);
  const detector = await Detector.load(await readModelArtifacts(modelsDir, manifest), manifest);
  const extraNodes = graphNodesFor(head.featureGroups).slice(1);
  const limits = { maxImagePixels: configDefaults.maxImagePixels, minImageSide: configDefaults.minImageSide };
  const frames = await Promise.all(images.map(async (image) => (await prepareImage(image, limits, manifest.inputSize)).pixels));

  const runDetector = async (pixels: Uint8Array) => detector.detect(pixels);
  const runWithHead = async (pixels: Uint8Array) =>
    detector.detect(pixels, extraNodes, async (outputs, detections) => {
      const features = await computeFeatureGroups(outputs, head.featureGroups, detections);
      return head.classify(features, detectorPetScoresOf(detections));
    });

  try {
    // Warm-up: the first passes of each variant allocate kernels and memory.
    for (const pixels of frames.slice(0, 2)) {
      await runDetector(pixels);
      await runWithHead(pixels);
    }

    const detectorTimes: number[] = [];
    const headTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const pixels of frames) {
        let started = performance.now();
        await runDetector(pixels);
        detectorTimes.push(performance.now() - started);

        started = performance.now();
        await runWithHead(pixels);
        headTimes.push(performance.now() - started);
      }
    }

    const detectorMs = median(detectorTimes);
    const withHeadMs = median(headTimes);
    return { detectorMs, withHeadMs, addedFraction: (withHeadMs - detectorMs) / detectorMs, frames: detectorTimes.length };
  } finally {
    detector.dispose();
  }
}
