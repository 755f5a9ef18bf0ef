import { describe, expect, it } from 'vitest';

import type { Verdict } from '../../server/protocol.js';
import { RateMeter } from '../../web/meters.js';
import { VerdictSmoother } from '../../web/verdict-smoother.js';

function feed(smoother: VerdictSmoother, results: Array<[Verdict, number]>): Verdict[] {
  return results.map(([verdict, confidence]) => smoother.push(verdict, confidence).verdict);
}

describe('VerdictSmoother', () => {
  it('ignores a single outlier frame', () => {
    const smoother = new VerdictSmoother(5);
    const shown = feed(smoother, [
      ['cat', 0.8],
      ['cat', 0.7],
      ['neither', 0.9],
      ['cat', 0.75],
    ]);

    expect(shown).toEqual(['cat', 'cat', 'cat', 'cat']);
  });

  it('switches once the new verdict outweighs the old', () => {
    const smoother = new VerdictSmoother(5);
    const shown = feed(smoother, [
      ['cat', 0.6],
      ['cat', 0.6],
      ['dog', 0.7],
      ['dog', 0.7],
      ['dog', 0.7],
    ]);

    expect(shown).toEqual(['cat', 'cat', 'cat', 'dog', 'dog']);
  });

  it('keeps the shown verdict on a tie', () => {
    const smoother = new VerdictSmoother(2);
    const shown = feed(smoother, [
      ['cat', 0.5],
      ['dog', 0.5],
    ]);

    expect(shown).toEqual(['cat', 'cat']);
  });

  it('reports the mean confidence of agreeing frames', () => {
    const smoother = new VerdictSmoother(5);
    smoother.push('dog', 0.6);
    smoother.push('neither', 0.2);
    const smoothed = smoother.push('dog', 0.8);

    expect(smoothed.verdict).toBe('dog');
    expect(smoothed.confidence).toBeCloseTo(0.7, 5);
  });

  it('starts over after reset', () => {
    const smoother = new VerdictSmoother(5);
    feed(smoother, [
      ['cat', 0.9],
      ['cat', 0.9],
    ]);
    smoother.reset();

    expect(smoother.push('dog', 0.4).verdict).toBe('dog');
  });
});

describe('RateMeter', () => {
  it('measures frames per second in its window', () => {
    const meter = new RateMeter(2000);
    expect(meter.rate(0)).toBeNull();

    for (let time = 0; time <= 1000; time += 250) meter.tick(time);
    expect(meter.rate(1000)).toBeCloseTo(4, 5);

    // Old ticks leave the window.
    expect(meter.rate(5000)).toBeNull();
  });
});
