import { describe, expect, it } from 'vitest';

import { decideVerdict, type HeadDecision } from '../../server/classifier/head.js';
import { applyHeadVerdict, FALLBACK_BOX_MIN_SCORE } from '../../server/classifier/head-verdict.js';
import type { NormalizedBox, VerdictSummary } from '../../server/classifier/types.js';
import type { LabeledDetection } from '../../server/classifier/verdict.js';

const decision: HeadDecision = { minPetProbability: 0.6, bothPetsMinScore: 0.5 };
const noPets = { cat: 0, dog: 0 };

describe('decideVerdict with a head', () => {
  it('picks the more probable pet', () => {
    const verdict = decideVerdict({ cat: 0.1, dog: 0.85, neither: 0.05 }, noPets, decision);
    expect(verdict.verdict).toBe('dog');
    expect(verdict.confidence).toBe(0.85);
  });

  it('says neither below minPetProbability', () => {
    const verdict = decideVerdict({ cat: 0.55, dog: 0.05, neither: 0.4 }, noPets, decision);
    expect(verdict.verdict).toBe('neither');
    expect(verdict.confidence).toBe(0.4);
  });

  it('counts a pet exactly at minPetProbability', () => {
    expect(decideVerdict({ cat: 0.6, dog: 0.1, neither: 0.3 }, noPets, decision).verdict).toBe('cat');
  });

  it('says neither when neither beats the pet', () => {
    const lenient = { ...decision, minPetProbability: 0 };
    expect(decideVerdict({ cat: 0.3, dog: 0.3, neither: 0.4 }, noPets, lenient).verdict).toBe('neither');
  });

  it('says cat-and-dog when the detector sees both', () => {
    const verdict = decideVerdict({ cat: 0.7, dog: 0.25, neither: 0.05 }, { cat: 0.8, dog: 0.55 }, decision);
    expect(verdict.verdict).toBe('cat-and-dog');
    expect(verdict.confidence).toBe(0.55);
  });

  it('keeps one pet when the second is weak', () => {
    expect(decideVerdict({ cat: 0.7, dog: 0.25, neither: 0.05 }, { cat: 0.8, dog: 0.45 }, decision).verdict).toBe('cat');
  });

  it('lets neither win over two detected pets', () => {
    expect(decideVerdict({ cat: 0.2, dog: 0.2, neither: 0.6 }, { cat: 0.9, dog: 0.9 }, decision).verdict).toBe('neither');
  });
});

const box: NormalizedBox = [0.1, 0.1, 0.5, 0.5];
const person: LabeledDetection = { label: 'person', score: 0.9, box: [0, 0, 1, 1] };

function summaryOf(detections: VerdictSummary['detections']): VerdictSummary {
  return { verdict: 'dog', confidence: 0.4, detections, others: [{ label: 'person', score: 0.9 }] };
}

function headSays(verdict: 'cat' | 'dog' | 'neither' | 'cat-and-dog', confidence = 0.9) {
  return { verdict, confidence, probabilities: { cat: 0.9, dog: 0.05, neither: 0.05 } };
}

describe('applyHeadVerdict', () => {
  it('relabels counted boxes to the head verdict', () => {
    const summary = summaryOf([{ label: 'dog', score: 0.4, box }]);
    const result = applyHeadVerdict(summary, headSays('cat'), [{ label: 'dog', score: 0.4, box }, person]);
    expect(result.verdict).toBe('cat');
    expect(result.confidence).toBe(0.9);
    expect(result.detections).toEqual([{ label: 'cat', score: 0.4, box }]);
    expect(result.others).toEqual(summary.others);
  });

  it('shows the best weak box when none counted', () => {
    const weak: LabeledDetection[] = [{ label: 'dog', score: 0.12, box }, { label: 'cat', score: 0.08, box: [0, 0, 0.2, 0.2] }, person];
    const result = applyHeadVerdict(summaryOf([]), headSays('cat'), weak);
    expect(result.detections).toEqual([{ label: 'cat', score: 0.12, box }]);
  });

  it('shows no box below the fallback floor', () => {
    const faint: LabeledDetection[] = [{ label: 'cat', score: FALLBACK_BOX_MIN_SCORE / 2, box }];
    expect(applyHeadVerdict(summaryOf([]), headSays('cat'), faint).detections).toEqual([]);
  });

  it('drops pet boxes for neither', () => {
    const result = applyHeadVerdict(summaryOf([{ label: 'dog', score: 0.4, box }]), headSays('neither', 0.7), [person]);
    expect(result.verdict).toBe('neither');
    expect(result.detections).toEqual([]);
  });

  it('keeps detector labels for cat-and-dog', () => {
    const pets = [
      { label: 'cat' as const, score: 0.8, box },
      { label: 'dog' as const, score: 0.6, box: [0.6, 0.6, 0.3, 0.3] as const },
    ];
    expect(applyHeadVerdict(summaryOf(pets), headSays('cat-and-dog', 0.6), []).detections).toEqual(pets);
  });
});
