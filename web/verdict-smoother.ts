import type { Verdict } from '../server/protocol.js';

export interface SmoothedVerdict {
  verdict: Verdict;
  /** Mean confidence of the recent results that agree with the verdict, 0..1. */
  confidence: number;
}

/** Results kept for the vote: about half a second to a second of frames on the wasm backend. */
const DEFAULT_WINDOW = 5;

/**
 * Smooths verdicts over recent frames so the badge does not flicker: each result votes
 * with its confidence, and the badge changes only when another verdict's total beats
 * the one shown.
 */
export class VerdictSmoother {
  readonly #window: number;
  readonly #recent: Array<{ verdict: Verdict; confidence: number }> = [];
  #shown: Verdict | null = null;

  constructor(window = DEFAULT_WINDOW) {
    this.#window = window;
  }

  push(verdict: Verdict, confidence: number): SmoothedVerdict {
    this.#recent.push({ verdict, confidence });
    if (this.#recent.length > this.#window) this.#recent.shift();

    const totals = new Map<Verdict, number>();
    for (const item of this.#recent) totals.set(item.verdict, (totals.get(item.verdict) ?? 0) + item.confidence);

    let best: Verdict = verdict;
    for (const [candidate, total] of totals) {
      if (total > (totals.get(best) ?? 0)) best = candidate;
    }

    // Keep the shown verdict on a tie, which is what removes the flicker.
    if (this.#shown !== null && (totals.get(this.#shown) ?? 0) >= (totals.get(best) ?? 0)) best = this.#shown;
    this.#shown = best;

    const agreeing = this.#recent.filter((item) => item.verdict === best);
    const meanConfidence = agreeing.reduce((sum, item) => sum + item.confidence, 0) / Math.max(1, agreeing.length);
    return { verdict: best, confidence: meanConfidence };
  }

  reset(): void {
    this.#recent.length = 0;
    this.#shown = null;
  }
}
