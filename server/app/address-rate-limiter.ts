import { TokenBucket } from './token-bucket.js';

/** Client addresses tracked at once; the oldest is forgotten first, which only resets its limit. */
const MAX_TRACKED_ADDRESSES = 10_000;

/** A token bucket per client address, e.g. for `POST /api/sessions`. */
export class AddressRateLimiter {
  readonly #perMinute: number;
  readonly #buckets = new Map<string, TokenBucket>();

  /** Allows `perMinute` events per minute per address, after a burst of the same size. */
  constructor(perMinute: number) {
    this.#perMinute = perMinute;
  }

  /** Takes one token for `address` and returns whether the event is allowed. */
  tryTake(address: string): boolean {
    let bucket = this.#buckets.get(address);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_TRACKED_ADDRESSES) {
        const oldest = this.#buckets.keys().next();
        if (oldest.done !== true) this.#buckets.delete(oldest.value);
      }
      bucket = new TokenBucket(this.#perMinute / 60, this.#perMinute);
      this.#buckets.set(address, bucket);
    }
    return bucket.tryTake();
  }
}
