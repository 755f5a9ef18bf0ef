import type { HistoryEntry, SessionCounts } from '../protocol.js';

export type { HistoryEntry, SessionCounts };

/**
 * Storage for sessions and their classification history. The in-memory implementation
 * serves a single replica, and the Redis implementation shares sessions between replicas.
 *
 * Every method that names a session refreshes its idle expiry (config.sessionTtlSeconds).
 */
export interface SessionStore {
  /** Creates an empty session. Creating an existing one leaves its history as it is. */
  create(sessionId: string): Promise<void>;
  /** Returns whether the session exists, and refreshes its idle expiry when it does. */
  exists(sessionId: string): Promise<boolean>;
  /**
   * Appends one result and returns the session's counts after it. The history keeps the
   * newest config.historyLength entries, and the counts cover every entry ever appended.
   * Appending to a session that does not exist (or expired) creates it.
   */
  append(sessionId: string, entry: HistoryEntry): Promise<SessionCounts>;
  /**
   * Returns up to `limit` newest entries, oldest first, and the counts. Without `limit` it
   * returns all kept entries. An unknown session has no entries and zero counts.
   */
  history(sessionId: string, limit?: number): Promise<{ entries: HistoryEntry[]; counts: SessionCounts }>;
  /** Releases connections and timers. Safe to call twice. */
  close(): Promise<void>;
}

/** Adds one entry to counts, following the counting rule in SessionCounts. */
export function countEntry(counts: SessionCounts, entry: HistoryEntry): SessionCounts {
  const isCat = entry.verdict === 'cat' || entry.verdict === 'cat-and-dog';
  const isDog = entry.verdict === 'dog' || entry.verdict === 'cat-and-dog';
  return {
    cats: counts.cats + (isCat ? 1 : 0),
    dogs: counts.dogs + (isDog ? 1 : 0),
    frames: counts.frames + 1,
  };
}

export function emptyCounts(): SessionCounts {
  return { cats: 0, dogs: 0, frames: 0 };
}
