import { describe, expect, it } from 'vitest';

import { decideVerdict, DUPLICATE_IOU, type LabeledDetection } from '../../server/classifier/verdict.js';
import type { NormalizedBox } from '../../server/classifier/types.js';

const thresholds = { petScore: 0.3, otherScore: 0.4 };
const left: NormalizedBox = [0, 0, 0.4, 0.4];
const right: NormalizedBox = [0.6, 0.6, 0.4, 0.4];

function detection(label: string, score: number, box: NormalizedBox = left): LabeledDetection {
  return { label, score, box };
}

describe('decideVerdict', () => {
  it('says neither with no detections', () => {
    const summary = decideVerdict([], thresholds);
    expect(summary.verdict).toBe('neither');
    expect(summary.confidence).toBe(1);
    expect(summary.detections).toEqual([]);
  });

  it('counts a cat exactly at the threshold', () => {
    const summary = decideVerdict([detection('cat', 0.3)], thresholds);
    expect(summary.verdict).toBe('cat');
    expect(summary.confidence).toBe(0.3);
  });

  it('ignores a cat just below the threshold', () => {
    const summary = decideVerdict([detection('cat', 0.29)], thresholds);
    expect(summary.verdict).toBe('neither');
    expect(summary.confidence).toBeCloseTo(0.71, 10);
  });

  it('says dog for a dog above the threshold', () => {
    const summary = decideVerdict([detection('dog', 0.8)], thresholds);
    expect(summary.verdict).toBe('dog');
    expect(summary.confidence).toBe(0.8);
    expect(summary.detections).toEqual([{ label: 'dog', score: 0.8, box: left }]);
  });

  it('says cat-and-dog for separate cat and dog boxes', () => {
    const summary = decideVerdict([detection('cat', 0.9, left), detection('dog', 0.5, right)], thresholds);
    expect(summary.verdict).toBe('cat-and-dog');
    expect(summary.confidence).toBe(0.5);
    expect(summary.detections.map((pet) => pet.label)).toEqual(['cat', 'dog']);
  });

  it('keeps only the best label for one animal', () => {
    const summary = decideVerdict([detection('dog', 0.35, [0.01, 0, 0.4, 0.4]), detection('cat', 0.6, left)], thresholds);
    expect(summary.verdict).toBe('cat');
    expect(summary.detections).toHaveLength(1);
  });

  it('merges near-identical boxes of one cat', () => {
    const summary = decideVerdict([detection('cat', 0.5, left), detection('cat', 0.45, [0.02, 0.02, 0.4, 0.4]), detection('cat', 0.4, right)], thresholds);
    expect(summary.detections.map((pet) => pet.score)).toEqual([0.5, 0.4]);
  });

  it('keeps boxes that overlap less than the duplicate threshold', () => {
    // Two 0.4-wide boxes offset by 0.2: intersection 0.2 * 0.4, union 2 * 0.16 - 0.08, IoU 1/3.
    expect(DUPLICATE_IOU).toBeGreaterThan(1 / 3);
    const summary = decideVerdict([detection('cat', 0.5, left), detection('dog', 0.45, [0.2, 0, 0.4, 0.4])], thresholds);
    expect(summary.verdict).toBe('cat-and-dog');
  });

  it('reports other labels at or above their threshold', () => {
    const summary = decideVerdict([detection('person', 0.9), detection('person', 0.5), detection('car', 0.4), detection('bench', 0.39)], thresholds);
    expect(summary.others).toEqual([
      { label: 'person', score: 0.9 },
      { label: 'car', score: 0.4 },
    ]);
    expect(summary.verdict).toBe('neither');
  });

  it('bases neither confidence on the best pet score seen', () => {
    const summary = decideVerdict([detection('dog', 0.1), detection('cat', 0.2), detection('person', 0.9)], thresholds);
    expect(summary.verdict).toBe('neither');
    expect(summary.confidence).toBeCloseTo(0.8, 10);
  });
});
