import { AppError } from '../errors.js';
import { countEntry, emptyCounts, type HistoryEntry, type SessionCounts, type SessionStore } from './store.js';

export interface MemorySessionStoreOptions {
  /** Entries kept per session. */
  historyLength: number;
  /** Idle time after which a session is forgotten, in seconds. */
  sessionTtlSeconds: number;
  /** Sessions kept at once; create() rejects with ERR_SERVER_BUSY beyond this. @default no limit */
  maxSessions?: number;
  /** Clock in ms since the epoch, replaceable in tests. @default Date.now */
  now?: () => number;
}

interface StoredSession {
  entries: HistoryEntry[];
  counts: SessionCounts;
  expiresAt: number;
}

/** Maximum time between two sweeps of expired sessions, in ms. */
const MAX_SWEEP_INTERVAL_MS = 60_000;

/**
 * Session store for a single replica: everything lives in this process and is lost when
 * it exits. Expired sessions are removed on access and by a periodic sweep.
 * The number of sessions is capped by `maxSessions`. When the store is full, creating a
 * session is rejected rather than evicting another one, because evicting would let one
 * client end sessions that others are using.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, StoredSession>();
  readonly #historyLength: number;
  readonly #ttlMs: number;
  readonly #maxSessions: number;
  readonly #now: () => number;
  readonly #sweepTimer: NodeJS.Timeout;

  constructor(options: MemorySessionStoreOptions) {
    this.#historyLength = options.historyLength;
    this.#ttlMs = options.sessionTtlSeconds * 1000;
    this.#maxSessions = options.maxSessions ?? Number.POSITIVE_INFINITY;
    this.#now = options.now ?? Date.now;

    // The timer must not keep the process alive on its own, and close() clears it.
    this.#sweepTimer = setInterval(() => this.#sweep(), Math.min(this.#ttlMs, MAX_SWEEP_INTERVAL_MS));
    this.#sweepTimer.unref();
  }

  async create(sessionId: string): Promise<void> {
    if (!this.#sessions.has(sessionId) && this.#sessions.size >= this.#maxSessions) {
      this.#sweep();
      if (this.#sessions.size >= this.#maxSessions) {
        throw new AppError(
          'ERR_SERVER_BUSY',
          `too many sessions: this server keeps at most ${this.#maxSessions} (CATDOG_MAX_SESSIONS) until idle ones expire; join an existing session or retry later`,
        );
      }
    }
    this.#touch(sessionId, true);
  }

  /** Sessions currently stored, expired ones included until the next sweep. */
  get size(): number {
    return this.#sessions.size;
  }

  async exists(sessionId: string): Promise<boolean> {
    return this.#touch(sessionId, false) !== undefined;
  }

  async append(sessionId: string, entry: HistoryEntry): Promise<SessionCounts> {
    const session = this.#touch(sessionId, true);

    session.entries.push({ ...entry });
    if (session.entries.length > this.#historyLength) {
      session.entries.splice(0, session.entries.length - this.#historyLength);
    }

    session.counts = countEntry(session.counts, entry);
    return { ...session.counts };
  }

  async history(sessionId: string, limit?: number): Promise<{ entries: HistoryEntry[]; counts: SessionCounts }> {
    const session = this.#touch(sessionId, false);
    if (session === undefined) return { entries: [], counts: emptyCounts() };

    const count = limit === undefined ? session.entries.length : Math.max(0, Math.floor(limit));
    const entries = count === 0 ? [] : session.entries.slice(-count);
    return { entries: entries.map((entry) => ({ ...entry })), counts: { ...session.counts } };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#sessions.clear();
  }

  /** Refreshes the expiry of a live session and returns it, creating it first when `create` is set. */
  #touch(sessionId: string, create: true): StoredSession;
  #touch(sessionId: string, create: boolean): StoredSession | undefined;
  #touch(sessionId: string, create: boolean): StoredSession | undefined {
    const now = this.#now();
    let session = this.#sessions.get(sessionId);

    if (session !== undefined && session.expiresAt <= now) {
      this.#sessions.delete(sessionId);
      session = undefined;
    }

    if (session === undefined) {
      if (!create) return undefined;
      session = { entries: [], counts: emptyCounts(), expiresAt: 0 };
      this.#sessions.set(sessionId, session);
    }

    session.expiresAt = now + this.#ttlMs;
    return session;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [sessionId, session] of this.#sessions) {
      if (session.expiresAt <= now) this.#sessions.delete(sessionId);
    }
  }
}
