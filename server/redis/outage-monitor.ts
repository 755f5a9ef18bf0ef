import type { Logger } from '../logger.js';

/** Connection state of the Redis link as a whole: up only when every client is ready. */
export type RedisLinkState = 'connecting' | 'up' | 'down';

/**
 * Turns the per-attempt events of the Redis clients into one log line when the link goes
 * down and one when it comes back, with counts of what happened in between. Redis clients
 * emit `error` on every failed reconnection attempt (several per second while Redis is
 * away), so logging each event would flood the log.
 */
export class OutageMonitor {
  readonly #logger: Logger;
  #state: RedisLinkState = 'connecting';
  #downSince = 0;
  #failedAttempts = 0;
  #droppedPublishes = 0;
  #lastError: string | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  get state(): RedisLinkState {
    return this.#state;
  }

  /** Records a client error; the first one of an outage is logged when the link goes down. */
  recordError(error: unknown): void {
    this.#failedAttempts += 1;
    this.#lastError = error instanceof Error ? error.message : String(error);
    this.#logger.debug({ err: error }, 'redis client error');
  }

  /** Records a broadcast to other replicas that was lost because Redis was unreachable. */
  recordDroppedPublish(error: unknown): void {
    this.#droppedPublishes += 1;
    this.#lastError ??= error instanceof Error ? error.message : String(error);
  }

  /** Updates the link state from the clients' readiness and logs the transitions. */
  update(allReady: boolean): void {
    if (allReady) {
      this.#markUp();
    } else if (this.#state === 'up') {
      this.#markDown();
    } else if (this.#state === 'connecting' && this.#failedAttempts === 1) {
      // Logged once, on the first failed attempt, so that the log of a replica that
      // starts before Redis explains why it is not ready.
      this.#logger.warn({ error: this.#lastError }, 'redis unreachable at start-up; retrying until it accepts connections');
    }
  }

  #markUp(): void {
    const previous = this.#state;
    if (previous === 'up') return;
    this.#state = 'up';

    if (previous === 'connecting') {
      this.#logger.info({ failedAttempts: this.#failedAttempts }, 'redis connected');
    } else {
      this.#logger.info(
        {
          downtimeMs: Date.now() - this.#downSince,
          failedAttempts: this.#failedAttempts,
          droppedPublishes: this.#droppedPublishes,
        },
        'redis connection restored; fan-out to other replicas resumed',
      );
    }
    this.#resetCounters();
  }

  #markDown(): void {
    this.#state = 'down';
    this.#downSince = Date.now();
    this.#logger.warn(
      { error: this.#lastError },
      'redis connection lost; serving local clients only and retrying',
    );
    this.#resetCounters();
  }

  #resetCounters(): void {
    this.#failedAttempts = 0;
    this.#droppedPublishes = 0;
    this.#lastError = undefined;
  }
}
