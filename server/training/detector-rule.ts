import { COCO_CAT, COCO_DOG, INPUT_SIDE, type RawDetection } from '../classifier/head-features.js';
import { decideVerdict as decideDetectorVerdict } from '../classifier/verdict.js';
import type { Verdict } from '../classifier/types.js';

function labelOf(classId: number): string {
  if (classId === COCO_CAT) return 'cat';
  if (classId === COCO_DOG) return 'dog';
  return `class-${classId}`;
}

/**
 * Computes the classifier's detector-only verdict (server/classifier/verdict.ts) for raw rows,
 * the baseline in reports. Boxes are normalized by the input side instead of the original image.
 * That is safe because the rule compares boxes only by intersection over union, which such a
 * scaling does not change.
 */
export function detectorOnlyVerdict(detections: readonly RawDetection[], petScore: number): Verdict {
  const labeled = detections
    .filter((detection) => detection.score > 0)
    .map((detection) => ({
      label: labelOf(detection.classId),
      score: detection.score,
      box: [
        detection.x1 / INPUT_SIDE,
        detection.y1 / INPUT_SIDE,
        (detection.x2 - detection.x1) / INPUT_SIDE,
        (detection.y2 - detection.y1) / INPUT_SIDE,
      ] as const,
    }));
  return decideDetectorVerdict(labeled, { petScore, otherScore: 1 }).verdict;
}
