import type * as tf from '@tensorflow/tfjs-core';

import { detectorPetScoresOf, type HeadVerdict, type PetHead } from './head.js';
import { computeFeatureGroups, graphNodesFor, type RawDetection } from './head-features.js';
import type { PetDetection, PetLabel, VerdictSummary } from './types.js';
import type { LabeledDetection } from './verdict.js';

/**
 * Smallest detector score at which a cat or dog box is shown for a pet verdict that no box
 * at the configured pet score supports. Same floor as the box the head's features pool over.
 */
export const FALLBACK_BOX_MIN_SCORE = 0.05;

function isPetLabel(label: string): label is PetLabel {
  return label === 'cat' || label === 'dog';
}

function bestPetBox(detections: readonly LabeledDetection[]): LabeledDetection | undefined {
  let best: LabeledDetection | undefined;
  for (const detection of detections) {
    if (isPetLabel(detection.label) && (best === undefined || detection.score > best.score)) best = detection;
  }
  return best;
}

/**
 * Replaces the detector rule's verdict with the head's, keeping the detector's boxes. For a
 * cat or dog verdict, the counted pet boxes are relabeled to that pet, because the detector
 * often finds the right animal under the wrong class, and that is the error the head corrects.
 * With no counted box, the best cat or dog box at FALLBACK_BOX_MIN_SCORE or more is shown.
 * A neither verdict shows no pet boxes, and cat-and-dog keeps the detector's labels.
 * Scores stay the detector's; `others` is unchanged.
 */
export function applyHeadVerdict(summary: VerdictSummary, head: HeadVerdict, labeled: readonly LabeledDetection[]): VerdictSummary {
  const { verdict, confidence } = head;

  if (verdict === 'neither') return { verdict, confidence, detections: [], others: summary.others };
  if (verdict === 'cat-and-dog') return { verdict, confidence, detections: summary.detections, others: summary.others };

  let boxes: readonly PetDetection[] = summary.detections;
  if (boxes.length === 0) {
    const fallback = bestPetBox(labeled);
    boxes = fallback !== undefined && fallback.score >= FALLBACK_BOX_MIN_SCORE ? [{ label: verdict, score: fallback.score, box: fallback.box }] : [];
  }
  const detections = boxes.map((box) => ({ label: verdict, score: box.score, box: box.box }));
  return { verdict, confidence, detections, others: summary.others };
}

/** Extra graph outputs a head needs, and the callback that turns them into its verdict. */
export interface HeadPass {
  readonly extraOutputs: readonly string[];
  readonly consume: (outputs: ReadonlyMap<string, tf.Tensor>, detections: readonly RawDetection[]) => Promise<HeadVerdict>;
}

/**
 * Prepares a head to run inside the detector's pass: `Detector.detect(pixels,
 * pass.extraOutputs, pass.consume)` returns the head's verdict as `consumed`, so the head
 * costs no second run of the graph.
 */
export function createHeadPass(head: PetHead): HeadPass {
  return {
    extraOutputs: graphNodesFor(head.featureGroups).slice(1),
    consume: async (outputs, detections) => {
      const features = await computeFeatureGroups(outputs, head.featureGroups, detections);
      return head.classify(features, detectorPetScoresOf(detections));
    },
  };
}
