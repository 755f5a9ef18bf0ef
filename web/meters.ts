/** Frames per second over a sliding window of recent frames. */
export class RateMeter {
  readonly #windowMs: number;
  readonly #times: number[] = [];

  constructor(windowMs = 2000) {
    this.#windowMs = windowMs;
  }

  tick(now = performance.now()): void {
    this.#times.push(now);
    this.#trim(now);
  }

  /** Returns frames per second, or null before two frames have arrived. */
  rate(now = performance.now()): number | null {
    this.#trim(now);
    const first = this.#times[0];
    const last = this.#times.at(-1);
    if (first === undefined || last === undefined || this.#times.length < 2 || last === first) return null;
    return ((this.#times.length - 1) * 1000) / (last - first);
  }

  #trim(now: number): void {
    while (this.#times.length > 0 && (this.#times[0] ?? now) < now - this.#windowMs) this.#times.shift();
  }
}

/** Exponential moving average of latency samples, in ms. */
export class LatencyMeter {
  readonly #weight: number;
  #value: number | null = null;

  constructor(weight = 0.3) {
    this.#weight = weight;
  }

  add(ms: number): void {
    this.#value = this.#value === null ? ms : this.#value + this.#weight * (ms - this.#value);
  }

  get value(): number | null {
    return this.#value;
  }
}
