import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { RedisConnection } from '../../server/redis/connection.js';
import { MemorySessionStore } from '../../server/sessions/memory-store.js';
import { RedisSessionStore } from '../../server/sessions/redis-store.js';
import type { HistoryEntry, SessionStore } from '../../server/sessions/store.js';
import { RedisServerProcess } from '../support/redis-server.js';
import { createCapturingLogger } from './log-capture.js';

const HISTORY_LENGTH = 5;
const TTL_SECONDS = 3600;

function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

function entry(verdict: HistoryEntry['verdict'], time: number, cameraId = 'camera-1'): HistoryEntry {
  return { time, cameraId, verdict, confidence: 0.9 };
}

/** One behaviour contract, run against every SessionStore implementation. */
function sessionStoreContract(name: string, createStore: () => SessionStore): void {
  describe(`${name} session store contract`, () => {
    let store: SessionStore;

    beforeAll(() => {
      store = createStore();
    });

    it('reports created sessions as existing', async () => {
      const sessionId = newSessionId();

      expect(await store.exists(sessionId)).toBe(false);
      await store.create(sessionId);
      expect(await store.exists(sessionId)).toBe(true);
    });

    it('counts cats and dogs by the counting rule', async () => {
      const sessionId = newSessionId();
      await store.create(sessionId);

      await store.append(sessionId, entry('cat', 1));
      await store.append(sessionId, entry('neither', 2));
      await store.append(sessionId, entry('dog', 3));
      const counts = await store.append(sessionId, entry('cat-and-dog', 4));

      expect(counts).toEqual({ cats: 2, dogs: 2, frames: 4 });
      expect((await store.history(sessionId)).counts).toEqual({ cats: 2, dogs: 2, frames: 4 });
    });

    it('keeps the newest entries, oldest first', async () => {
      const sessionId = newSessionId();
      for (let time = 1; time <= HISTORY_LENGTH + 3; time += 1) {
        await store.append(sessionId, entry('cat', time));
      }

      const { entries, counts } = await store.history(sessionId);

      expect(entries.map((item) => item.time)).toEqual([4, 5, 6, 7, 8]);
      expect(counts.frames).toBe(HISTORY_LENGTH + 3);
      expect(entries[0]).toEqual(entry('cat', 4));
    });

    it('returns the newest entries up to a limit', async () => {
      const sessionId = newSessionId();
      for (let time = 1; time <= 4; time += 1) await store.append(sessionId, entry('dog', time));

      expect((await store.history(sessionId, 2)).entries.map((item) => item.time)).toEqual([3, 4]);
      expect((await store.history(sessionId, 0)).entries).toEqual([]);
      expect((await store.history(sessionId, 100)).entries).toHaveLength(4);
    });

    it('returns nothing for an unknown session without creating it', async () => {
      const sessionId = newSessionId();

      const history = await store.history(sessionId);

      expect(history).toEqual({ entries: [], counts: { cats: 0, dogs: 0, frames: 0 } });
      expect(await store.exists(sessionId)).toBe(false);
    });

    it('keeps history when an existing session is created again', async () => {
      const sessionId = newSessionId();
      await store.append(sessionId, entry('cat', 1));

      await store.create(sessionId);

      const { entries, counts } = await store.history(sessionId);
      expect(entries).toHaveLength(1);
      expect(counts.cats).toBe(1);
    });
  });
}

describe('RedisSessionStore', () => {
  let redis: RedisServerProcess;
  let connection: RedisConnection;
  const { logger } = createCapturingLogger();

  beforeAll(async () => {
    redis = await RedisServerProcess.start();
    connection = RedisConnection.open(redis.url, logger);
    expect(await connection.waitUntilReady(10_000)).toBe(true);
  });

  afterAll(async () => {
    await connection?.close();
    await redis?.close();
  });

  const redisStore = (ttlSeconds = TTL_SECONDS): RedisSessionStore =>
    new RedisSessionStore(connection.command, logger, { historyLength: HISTORY_LENGTH, sessionTtlSeconds: ttlSeconds });

  sessionStoreContract('redis', () => redisStore());

  it('sets the idle expiry on both keys of a session', async () => {
    const store = redisStore();
    const sessionId = newSessionId();
    await store.append(sessionId, entry('cat', 1));

    const keys = await connection.command.keys(`catdog-live:session:{${sessionId}}:*`);
    expect(keys.sort()).toEqual([`catdog-live:session:{${sessionId}}:counts`, `catdog-live:session:{${sessionId}}:history`]);
    for (const key of keys) {
      const ttl = await connection.command.ttl(key);
      expect(ttl).toBeGreaterThan(TTL_SECONDS - 10);
      expect(ttl).toBeLessThanOrEqual(TTL_SECONDS);
    }
  });

  it('deletes a session after its idle expiry', async () => {
    const store = redisStore(1);
    const sessionId = newSessionId();
    await store.append(sessionId, entry('dog', 1));

    // Poll with plain EXISTS: every store call would refresh the expiry it waits for.
    const countsKey = `catdog-live:session:{${sessionId}}:counts`;
    await vi.waitFor(async () => expect(await connection.command.exists(countsKey)).toBe(0), { timeout: 5000, interval: 200 });
    expect(await store.exists(sessionId)).toBe(false);
    expect((await store.history(sessionId)).counts.frames).toBe(0);
  });

  it('loses no count when replicas append at the same time', async () => {
    // A second connection acts as a second replica.
    const other = RedisConnection.open(redis.url, logger);
    try {
      expect(await other.waitUntilReady(10_000)).toBe(true);
      const storeA = redisStore();
      const storeB = new RedisSessionStore(other.command, logger, { historyLength: HISTORY_LENGTH, sessionTtlSeconds: TTL_SECONDS });
      const sessionId = newSessionId();

      await Promise.all(
        Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? storeA : storeB).append(sessionId, entry('cat', index))),
      );

      const { entries, counts } = await storeA.history(sessionId);
      expect(counts).toEqual({ cats: 50, dogs: 0, frames: 50 });
      expect(entries).toHaveLength(HISTORY_LENGTH);
    } finally {
      await other.close();
    }
  });

  it('skips malformed entries written by something else', async () => {
    const store = redisStore();
    const sessionId = newSessionId();
    await store.append(sessionId, entry('cat', 1));
    await connection.command.rPush(`catdog-live:session:{${sessionId}}:history`, ['not json', '{"time":"x"}']);

    const { entries } = await store.history(sessionId);

    expect(entries).toEqual([entry('cat', 1)]);
  });

  it('keeps history across a redis restart', async () => {
    const store = redisStore();
    const sessionId = newSessionId();
    await store.append(sessionId, entry('cat', 1));
    await store.append(sessionId, entry('dog', 2));

    await redis.restart();
    await vi.waitFor(() => expect(connection.ready).toBe(true), { timeout: 5000 });

    const { entries, counts } = await store.history(sessionId);
    expect(entries.map((item) => item.verdict)).toEqual(['cat', 'dog']);
    expect(counts).toEqual({ cats: 1, dogs: 1, frames: 2 });
  });

  it('rejects at once while redis is down instead of waiting', async () => {
    const store = redisStore();
    const sessionId = newSessionId();

    await redis.stop();
    try {
      await vi.waitFor(() => expect(connection.ready).toBe(false));
      const startedAt = Date.now();

      await expect(store.append(sessionId, entry('cat', 1))).rejects.toThrow();
      expect(Date.now() - startedAt).toBeLessThan(500);
    } finally {
      await redis.restart();
    }
    await vi.waitFor(() => expect(connection.ready).toBe(true), { timeout: 5000 });
  });
});

sessionStoreContract('in-memory', () => new MemorySessionStore({ historyLength: HISTORY_LENGTH, sessionTtlSeconds: TTL_SECONDS }));
