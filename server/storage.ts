import type { ServerOptions } from 'socket.io';

import type { ResolvedConfig } from './config.js';
import type { Logger } from './logger.js';
import { MemorySessionStore } from './sessions/memory-store.js';
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

/** Opens the in-memory store for a single replica. */
export function openStorage(config: ResolvedConfig, logger: Logger): Storage {
  const store = new MemorySessionStore({ historyLength: config.historyLength, sessionTtlSeconds: config.sessionTtlSeconds });
  logger.info('sessions kept in memory: run one replica, or set REDIS_URL to share sessions');
  return { store, adapter: undefined, readinessChecks: {}, close: () => store.close() };
}
