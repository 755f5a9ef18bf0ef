import type { ServerOptions } from 'socket.io';

import type { ResolvedConfig } from './config.js';
import type { Logger } from './logger.js';
import { createRedisAdapter } from './redis/adapter.js';
import { RedisConnection } from './redis/connection.js';
import { MemorySessionStore } from './sessions/memory-store.js';
import { RedisSessionStore } from './sessions/redis-store.js';
import type { SessionStore } from './sessions/store.js';

/** Session store, Socket.IO adapter and readiness checks of one replica. */
export interface Storage {
  readonly store: SessionStore;
  /** Undefined for the in-memory adapter of a single replica. */
  readonly adapter: ServerOptions['adapter'] | undefined;
  readonly readinessChecks: Readonly<Record<string, () => boolean>>;
  /** Closes the store and any connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens the storage that the configuration selects: Redis for sessions, rooms and fan-out
 * when config.redisUrl is set, otherwise an in-memory store for a single replica.
 * Redis connects in the background, and `GET /readyz` reports 503 until it is up.
 */
export function openStorage(config: ResolvedConfig, logger: Logger): Storage {
  const options = { historyLength: config.historyLength, sessionTtlSeconds: config.sessionTtlSeconds };

  if (config.redisUrl === undefined) {
    const store = new MemorySessionStore({ ...options, maxSessions: config.maxSessions });
    logger.info('sessions kept in memory: run one replica, or set REDIS_URL to share sessions');
    return { store, adapter: undefined, readinessChecks: {}, close: () => store.close() };
  }

  const redis = RedisConnection.open(config.redisUrl, logger);
  const store = new RedisSessionStore(redis.command, logger, options);
  let closing: Promise<void> | undefined;

  return {
    store,
    adapter: createRedisAdapter(redis, logger),
    readinessChecks: { redis: () => redis.ready },
    // The store does not own the connection, so it closes first.
    close: () => {
      closing ??= store.close().finally(() => redis.close());
      return closing;
    },
  };
}
