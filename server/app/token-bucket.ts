/**
 * Token-bucket rate limiter: holds up to `capacity` tokens and refills `ratePerSecond`
 * tokens per second. Each accepted event takes one token.
 */
export class TokenBucket {
  readonly #capacity: number;
  readonly #ratePerMs: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor(ratePerSecond: number, capacity: number, now: () => number = Date.now) {
    this.#capacity = capacity;
    this.#ratePerMs = ratePerSecond / 1000;
    this.#now = now;
    this.#tokens = capacity;
    this.#updatedAt = now();
  }

  /** Takes one token when one is available and returns whether it did. */
  tryTake(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#updatedAt) * this.#ratePerMs);
    this.#updatedAt = now;

    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
