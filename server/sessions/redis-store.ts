import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connection.js';
import type { Verdict } from '../protocol.js';
import { emptyCounts, type HistoryEntry, type SessionCounts, type SessionStore } from './store.js';

export interface RedisSessionStoreOptions {
  /** Entries kept per session. */
  historyLength: number;
  /** Idle time after which Redis deletes a session, in seconds. */
  sessionTtlSeconds: number;
  /** Prefix of every key this store writes. @default 'catdog-live' */
  keyPrefix?: string;
}

const VERDICTS: ReadonlySet<string> = new Set<Verdict>(['cat', 'dog', 'cat-and-dog', 'neither']);

/**
 * Session store shared by all replicas, kept in Redis. Each session has two keys:
 *
 * - `<prefix>:session:{<id>}:counts`, a hash with `cats`, `dogs`, `frames` and `createdAt`;
 * - `<prefix>:session:{<id>}:history`, a list of JSON entries, oldest first, trimmed to
 *   the newest `historyLength` on every append.
 *
 * Every call that names a session refreshes EXPIRE on both keys, so Redis deletes a session
 * after `sessionTtlSeconds` without activity. Each call is one MULTI/EXEC transaction and
 * the counts use HINCRBY, so concurrent appends from several replicas lose no count. The session id sits in a
 * hash tag (`{...}`) so that both keys of a session map to the same Redis Cluster slot.
 *
 * The store does not own the client: close the RedisConnection after the store.
 * Commands reject at once while Redis is unreachable (see RedisConnection).
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisClient;
  readonly #logger: Logger;
  readonly #historyLength: number;
  readonly #ttlSeconds: number;
  readonly #keyPrefix: string;
  #closed = false;

  constructor(client: RedisClient, logger: Logger, options: RedisSessionStoreOptions) {
    this.#client = client;
    this.#logger = logger;
    this.#historyLength = options.historyLength;
    this.#ttlSeconds = options.sessionTtlSeconds;
    this.#keyPrefix = options.keyPrefix ?? 'catdog-live';
  }

  async create(sessionId: string): Promise<void> {
    const { counts, history } = this.#keys(sessionId);
    this.#assertOpen();

    await this.#client
      .multi()
      .hSetNX(counts, 'createdAt', String(Date.now()))
      .expire(counts, this.#ttlSeconds)
      .expire(history, this.#ttlSeconds)
      .execTyped();
  }

  async exists(sessionId: string): Promise<boolean> {
    const { counts, history } = this.#keys(sessionId);
    this.#assertOpen();

    // EXPIRE returns 1 only for a key that exists, so one round trip both checks and refreshes.
    const [countsRefreshed] = await this.#client
      .multi()
      .expire(counts, this.#ttlSeconds)
      .expire(history, this.#ttlSeconds)
      .execTyped();
    return Number(countsRefreshed) === 1;
  }

  async append(sessionId: string, entry: HistoryEntry): Promise<SessionCounts> {
    const { counts, history } = this.#keys(sessionId);
    this.#assertOpen();

    const isCat = entry.verdict === 'cat' || entry.verdict === 'cat-and-dog';
    const isDog = entry.verdict === 'dog' || entry.verdict === 'cat-and-dog';
    const stored: HistoryEntry = {
      time: entry.time,
      cameraId: entry.cameraId,
      verdict: entry.verdict,
      confidence: entry.confidence,
    };

    const replies = await this.#client
      .multi()
      .rPush(history, JSON.stringify(stored))
      .lTrim(history, -this.#historyLength, -1)
      .hIncrBy(counts, 'cats', isCat ? 1 : 0)
      .hIncrBy(counts, 'dogs', isDog ? 1 : 0)
      .hIncrBy(counts, 'frames', 1)
      .hSetNX(counts, 'createdAt', String(entry.time))
      .expire(counts, this.#ttlSeconds)
      .expire(history, this.#ttlSeconds)
      .execTyped();

    return { cats: Number(replies[2]), dogs: Number(replies[3]), frames: Number(replies[4]) };
  }

  async history(sessionId: string, limit?: number): Promise<{ entries: HistoryEntry[]; counts: SessionCounts }> {
    const { counts, history } = this.#keys(sessionId);
    this.#assertOpen();

    const count = limit === undefined ? this.#historyLength : Math.max(0, Math.floor(limit));
    // LRANGE with start -0 would mean "from the first entry", so a limit of 0 reads the
    // range [1, 0], which is always empty.
    const start = count === 0 ? 1 : -count;
    const end = count === 0 ? 0 : -1;

    const [rawEntries, rawCounts] = await this.#client
      .multi()
      .lRange(history, start, end)
      .hGetAll(counts)
      .expire(counts, this.#ttlSeconds)
      .expire(history, this.#ttlSeconds)
      .execTyped();

    return { entries: this.#parseEntries(sessionId, rawEntries), counts: parseCounts(rawCounts) };
  }

  /** Marks the store closed; the RedisConnection that owns the client closes it. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('RedisSessionStore is closed');
  }

  #keys(sessionId: string): { counts: string; history: string } {
    const base = `${this.#keyPrefix}:session:{${sessionId}}`;
    return { counts: `${base}:counts`, history: `${base}:history` };
  }

  #parseEntries(sessionId: string, raw: readonly unknown[]): HistoryEntry[] {
    const entries: HistoryEntry[] = [];
    let invalid = 0;

    for (const item of raw) {
      const entry = parseEntry(item);
      if (entry === undefined) invalid += 1;
      else entries.push(entry);
    }

    if (invalid > 0) this.#logger.warn({ sessionId, invalid }, 'skipped malformed history entries in redis');
    return entries;
  }
}

function parseEntry(raw: unknown): HistoryEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(String(raw));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;

  const { time, cameraId, verdict, confidence } = value as Record<string, unknown>;
  if (typeof time !== 'number' || typeof cameraId !== 'string' || typeof confidence !== 'number') return undefined;
  if (typeof verdict !== 'string' || !VERDICTS.has(verdict)) return undefined;

  return { time, cameraId, verdict: verdict as Verdict, confidence };
}

function parseCounts(raw: unknown): SessionCounts {
  if (typeof raw !== 'object' || raw === null) return emptyCounts();

  const fields = raw as Record<string, unknown>;
  const read = (name: string): number => {
    const value = Number(fields[name] ?? 0);
    return Number.isFinite(value) ? value : 0;
  };
  return { cats: read('cats'), dogs: read('dogs'), frames: read('frames') };
}
