import type { NormalizedBox, OtherLabel, PetDetection, VerdictSummary } from './types.js';

/** Score thresholds the verdict rule applies; see ThresholdConfig in server/config.ts. */
export interface VerdictThresholds {
  /** Minimum score for a cat or dog detection to count. */
  readonly petScore: number;
  /** Minimum score for another label to be reported. */
  readonly otherScore: number;
}

/** A detection with its label, box already mapped to the original image. */
export interface LabeledDetection {
  readonly label: string;
  readonly score: number;
  readonly box: NormalizedBox;
}

/**
 * Boxes of one animal that overlap at least this much (intersection over union) are one
 * detection. The detector often returns several near-identical boxes for one animal, and
 * it sometimes labels the same animal both cat and dog. Only the best-scoring box counts.
 */
export const DUPLICATE_IOU = 0.5;

function intersectionOverUnion(a: NormalizedBox, b: NormalizedBox): number {
  const left = Math.max(a[0], b[0]);
  const top = Math.max(a[1], b[1]);
  const right = Math.min(a[0] + a[2], b[0] + b[2]);
  const bottom = Math.min(a[1] + a[3], b[1] + b[3]);
  const intersection = Math.max(0, right - left) * Math.max(0, bottom - top);
  const union = a[2] * a[3] + b[2] * b[3] - intersection;
  return union > 0 ? intersection / union : 0;
}

function isPetLabel(label: string): boolean {
  return label === 'cat' || label === 'dog';
}

function isPet(detection: LabeledDetection): detection is PetDetection {
  return isPetLabel(detection.label);
}

/** Greedy non-maximum suppression across both pet labels. */
function removeDuplicates(pets: readonly PetDetection[]): PetDetection[] {
  const selected: PetDetection[] = [];
  for (const candidate of [...pets].sort((a, b) => b.score - a.score)) {
    if (selected.every((other) => intersectionOverUnion(candidate.box, other.box) < DUPLICATE_IOU)) selected.push(candidate);
  }
  return selected;
}

function bestScore(detections: readonly LabeledDetection[], label: string): number {
  return detections.reduce((best, detection) => (detection.label === label ? Math.max(best, detection.score) : best), 0);
}

function summarizeOthers(detections: readonly LabeledDetection[], minScore: number): OtherLabel[] {
  const best = new Map<string, number>();
  for (const { label, score } of detections) {
    if (isPetLabel(label) || score < minScore) continue;
    best.set(label, Math.max(score, best.get(label) ?? 0));
  }
  return [...best].map(([label, score]) => ({ label, score })).sort((a, b) => b.score - a.score);
}

/**
 * Decides cat, dog, cat-and-dog or neither from the detector's labeled detections.
 *
 * A cat or dog counts when its score is at least `petScore` and no better-scoring pet box
 * overlaps it by DUPLICATE_IOU or more. Confidence is the best counted score for cat or
 * dog, the lower of the two best scores for cat-and-dog, and for neither one minus the best
 * cat or dog score seen at any score.
 */
export function decideVerdict(detections: readonly LabeledDetection[], thresholds: VerdictThresholds): VerdictSummary {
  const candidates = detections.filter(isPet).filter((detection) => detection.score >= thresholds.petScore);
  const counted = removeDuplicates(candidates);
  const others = summarizeOthers(detections, thresholds.otherScore);

  const cat = bestScore(counted, 'cat');
  const dog = bestScore(counted, 'dog');
  if (cat > 0 && dog > 0) return { verdict: 'cat-and-dog', confidence: Math.min(cat, dog), detections: counted, others };
  if (cat > 0) return { verdict: 'cat', confidence: cat, detections: counted, others };
  if (dog > 0) return { verdict: 'dog', confidence: dog, detections: counted, others };

  const bestPetSeen = Math.max(bestScore(detections, 'cat'), bestScore(detections, 'dog'));
  return { verdict: 'neither', confidence: 1 - bestPetSeen, detections: [], others };
}
