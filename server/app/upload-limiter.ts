/**
 * Admission control for `POST /api/classify`, so that uploads cannot fill the inference
 * pool that live camera frames share. At most `maxActive` uploads are classified at once
 * and at most `maxWaiting` more are admitted to read their body and wait for a slot.
 * Everything beyond is turned away at once, before its body is read.
 */
export class UploadLimiter {
  readonly #maxActive: number;
  readonly #maxAdmitted: number;
  readonly #waiters: Array<() => void> = [];
  #admitted = 0;
  #active = 0;

  constructor(maxActive: number, maxWaiting: number) {
    this.#maxActive = maxActive;
    this.#maxAdmitted = maxActive + maxWaiting;
  }

  /** Uploads admitted and not yet released, classifying or waiting. */
  get admitted(): number {
    return this.#admitted;
  }

  /** Admits one upload, or returns null when the limiter is full. The caller must release it. */
  tryAdmit(): UploadAdmission | null {
    if (this.#admitted >= this.#maxAdmitted) return null;

    this.#admitted++;
    return new UploadAdmission(this);
  }

  /** @private Resolves once the caller has one of the `maxActive` slots. */
  acquireSlot(): Promise<void> {
    if (this.#active < this.#maxActive) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** @private Gives a slot back, handing it straight to the oldest waiter if there is one. */
  releaseSlot(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.#active--;
  }

  /** @private */
  releaseAdmission(): void {
    this.#admitted--;
  }
}

/** One admitted upload. release() is safe to call twice. */
export class UploadAdmission {
  readonly #limiter: UploadLimiter;
  #holdsSlot = false;
  #released = false;

  constructor(limiter: UploadLimiter) {
    this.#limiter = limiter;
  }

  /** Waits for an inference slot. Callers call it once, after reading the body. */
  async acquireSlot(): Promise<void> {
    await this.#limiter.acquireSlot();
    this.#holdsSlot = true;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;

    if (this.#holdsSlot) this.#limiter.releaseSlot();
    this.#limiter.releaseAdmission();
  }
}
