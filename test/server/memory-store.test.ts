import { afterEach, describe, expect, it } from 'vitest';

import { MemorySessionStore } from '../../server/sessions/memory-store.js';
import type { HistoryEntry } from '../../server/sessions/store.js';

let now = 1_000_000;
const stores: MemorySessionStore[] = [];

function createStore(historyLength = 3, sessionTtlSeconds = 60): MemorySessionStore {
  const store = new MemorySessionStore({ historyLength, sessionTtlSeconds, now: () => now });
  stores.push(store);
  return store;
}

function entry(verdict: HistoryEntry['verdict'], time = now): HistoryEntry {
  return { time, cameraId: 'camera-1', verdict, confidence: 0.8 };
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe('MemorySessionStore', () => {
  it('counts verdicts by the counting rule', async () => {
    const store = createStore(10);
    await store.create('s1');

    await store.append('s1', entry('cat'));
    await store.append('s1', entry('dog'));
    await store.append('s1', entry('neither'));
    const counts = await store.append('s1', entry('cat-and-dog'));

    expect(counts).toEqual({ cats: 2, dogs: 2, frames: 4 });
  });

  it('caps history but keeps counting', async () => {
    const store = createStore(3);
    await store.create('s1');
    for (let time = 1; time <= 5; time++) await store.append('s1', entry('cat', time));

    const history = await store.history('s1');
    expect(history.entries.map((item) => item.time)).toEqual([3, 4, 5]);
    expect(history.counts.frames).toBe(5);
    expect((await store.history('s1', 2)).entries.map((item) => item.time)).toEqual([4, 5]);
    expect((await store.history('s1', 0)).entries).toEqual([]);
  });

  it('expires idle sessions and refreshes on access', async () => {
    const store = createStore(3, 60);
    await store.create('s1');

    now += 59_000;
    expect(await store.exists('s1')).toBe(true);
    now += 59_000;
    expect(await store.exists('s1')).toBe(true);
    now += 60_000;
    expect(await store.exists('s1')).toBe(false);
    expect(await store.history('s1')).toEqual({ entries: [], counts: { cats: 0, dogs: 0, frames: 0 } });
  });

  it('keeps history when created again', async () => {
    const store = createStore();
    await store.create('s1');
    await store.append('s1', entry('dog'));
    await store.create('s1');

    expect((await store.history('s1')).counts.dogs).toBe(1);
  });

  it('rejects creation beyond maxSessions', async () => {
    const store = new MemorySessionStore({ historyLength: 3, sessionTtlSeconds: 60, maxSessions: 2, now: () => now });
    stores.push(store);
    await store.create('s1');
    await store.create('s2');

    await expect(store.create('s3')).rejects.toMatchObject({ code: 'ERR_SERVER_BUSY' });
    await store.create('s2');
    expect(await store.exists('s1')).toBe(true);

    // Expired sessions make room again.
    now += 61_000;
    await store.create('s3');
    expect(await store.exists('s3')).toBe(true);
    expect(store.size).toBe(1);
  });

  it('closes twice without error', async () => {
    const store = createStore();
    await store.close();
    await store.close();
  });
});
