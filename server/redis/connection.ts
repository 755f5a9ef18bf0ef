import { createClient } from 'redis';

import type { Logger } from '../logger.js';
import { OutageMonitor, type RedisLinkState } from './outage-monitor.js';

export type RedisClient = ReturnType<typeof createClient>;

/**
 * Maximum wait between two reconnection attempts, in ms. It bounds how long after Redis
 * returns a replica resumes fan-out: at most this delay plus one connection handshake.
 */
export const RECONNECT_MAX_DELAY_MS = 1000;
/** Wait before the first reconnection attempt, in ms; it doubles on each failure up to the maximum. */
const RECONNECT_FIRST_DELAY_MS = 100;

function reconnectDelay(retries: number): number {
  return Math.min(RECONNECT_FIRST_DELAY_MS * 2 ** retries, RECONNECT_MAX_DELAY_MS);
}

/** Returns the URL with any password replaced, so that it can be logged. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

/**
 * The two Redis connections a replica needs: `command` for the session store and for
 * publishing broadcasts, and `subscriber` for the Socket.IO adapter's subscriptions (a
 * connection in subscribed mode cannot run other commands).
 *
 * Both clients reconnect forever. While Redis is away, `command` rejects new commands at
 * once instead of queueing them (`disableOfflineQueue`). A frame's history write then fails
 * fast instead of holding the frame, and no broadcast queued during an outage reaches
 * viewers late and out of order. node-redis (6.4) sends the subscriber's subscriptions
 * again when it reconnects.
 *
 * @example
 * const redis = RedisConnection.open(config.redisUrl, logger);
 * const adapter = createRedisAdapter(redis, logger);
 * // ...
 * await redis.close();
 */
export class RedisConnection {
  readonly command: RedisClient;
  readonly subscriber: RedisClient;
  readonly monitor: OutageMonitor;
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;

  private constructor(url: string, logger: Logger) {
    this.#logger = logger;
    this.monitor = new OutageMonitor(logger);

    this.command = createClient({
      url,
      name: 'catdog-live:command',
      disableOfflineQueue: true,
      socket: { reconnectStrategy: reconnectDelay },
    });
    this.subscriber = createClient({
      url,
      name: 'catdog-live:subscriber',
      socket: { reconnectStrategy: reconnectDelay },
    });

    for (const client of [this.command, this.subscriber]) this.#watch(client);
  }

  /**
   * Creates both clients and starts connecting in the background. It returns at once,
   * also when Redis is unreachable: the replica starts, reports not ready, and keeps
   * retrying. Use `waitUntilReady()` to wait for the first connection.
   */
  static open(url: string, logger: Logger): RedisConnection {
    const connection = new RedisConnection(url, logger);
    logger.info({ url: redactRedisUrl(url) }, 'connecting to redis');

    for (const client of [connection.command, connection.subscriber]) {
      // connect() settles only when the first connection succeeds, or rejects when close()
      // interrupts it; failed attempts in between arrive as `error` events.
      client.connect().catch((error: unknown) => {
        if (connection.#closing === undefined) logger.error({ err: error }, 'redis client stopped connecting');
      });
    }
    return connection;
  }

  /** True while both clients are connected; replicas report not ready otherwise. */
  get ready(): boolean {
    return this.command.isReady && this.subscriber.isReady;
  }

  get state(): RedisLinkState {
    return this.monitor.state;
  }

  /** Resolves true once both clients are ready, or false after `timeoutMs` or on close. */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return true;

    return new Promise((resolve) => {
      const finish = (value: boolean): void => {
        clearTimeout(timer);
        for (const client of [this.command, this.subscriber]) {
          client.off('ready', onReady);
          client.off('end', onEnd);
        }
        resolve(value);
      };
      const onReady = (): void => {
        if (this.ready) finish(true);
      };
      const onEnd = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);

      for (const client of [this.command, this.subscriber]) {
        client.on('ready', onReady);
        client.on('end', onEnd);
      }
    });
  }

  /**
   * Closes both clients: commands already sent get their replies first. Safe to call
   * twice; later calls return the first call's promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeClients();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #closeClients(): Promise<void> {
    const results = await Promise.allSettled(
      [this.command, this.subscriber].map(async (client) => {
        // A client that is still retrying has nothing to flush, and close() would wait
        // for a connection that may never come.
        if (client.isReady) await client.close();
        else client.destroy();
      }),
    );

    for (const result of results) {
      if (result.status === 'rejected') this.#logger.warn({ err: result.reason }, 'redis client failed to close cleanly');
    }
    this.#logger.info('redis connections closed');
  }

  #watch(client: RedisClient): void {
    // node-redis emits `error` for every failed attempt, and an `error` event without a listener throws.
    client.on('error', (error: unknown) => {
      this.monitor.recordError(error);
      this.#updateState();
    });
    client.on('ready', () => this.#updateState());
    client.on('reconnecting', () => this.#updateState());
  }

  #updateState(): void {
    if (this.#closing !== undefined) return;
    this.monitor.update(this.ready);
  }
}
