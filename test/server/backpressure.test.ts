import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { ClassifierPool } from '../../server/classifier/pool.js';
import type { ClassificationEvent, FrameAck } from '../../server/protocol.js';
import { readFixture } from '../support/fixtures.js';
import { createTestPool, LiveApp, sendFrame, testConfig } from '../support/live-app.js';

// One worker, so every frame after the first arrives while the first is still classifying.
const config = testConfig({ CATDOG_MAX_FPS: '120' });
let pool: ClassifierPool;
let live: LiveApp | undefined;

beforeAll(async () => {
  pool = await createTestPool(config);
});

afterAll(async () => {
  await pool.close();
});

afterEach(async () => {
  await live?.close();
  live = undefined;
});

describe('frame backpressure', () => {
  it('drops replaced frames under a flood', async () => {
    live = await LiveApp.start(config, pool);
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera');
    const viewer = await live.join(sessionId, 'viewer');
    const broadcasts: ClassificationEvent[] = [];
    viewer.client.on('classification-result', (event) => broadcasts.push(event));

    const photo = await readFixture('cat/cat-001.jpg');
    const count = 12;
    const acks: FrameAck[] = await Promise.all(Array.from({ length: count }, () => sendFrame(camera.client, photo)));
    const statuses = acks.map((ack) => ack.status);

    // The first frame runs at once, and the last one waits and runs next. Every frame in
    // between is replaced by a newer one before a worker is free.
    expect(statuses[0]).toBe('ok');
    expect(statuses.at(-1)).toBe('ok');
    expect(statuses.filter((status) => status === 'ok')).toHaveLength(2);
    expect(statuses.filter((status) => status === 'dropped')).toHaveLength(count - 2);

    const frameIds = acks.map((ack) => (ack.status === 'error' ? null : ack.frameId));
    expect(frameIds).toEqual(Array.from({ length: count }, (_, index) => index + 1));

    await expect.poll(() => broadcasts.length).toBe(2);
    expect(broadcasts.map((event) => event.frameId)).toEqual([1, count]);
  });

  it('classifies every frame sent after its ack', async () => {
    live = await LiveApp.start(config, pool);
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera');

    const photo = await readFixture('dog/dog-001.jpg');
    for (let frame = 1; frame <= 3; frame++) {
      const ack = await sendFrame(camera.client, photo);
      expect(ack.status).toBe('ok');
    }
  });

  it('rejects frames over the rate limit', async () => {
    const limited = testConfig({ CATDOG_MAX_FPS: '3' });
    live = await LiveApp.start(limited, pool);
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera');

    const photo = await readFixture('cat/cat-002.jpg');
    const acks = await Promise.all(Array.from({ length: 6 }, () => sendFrame(camera.client, photo)));
    const codes = acks.map((ack) => (ack.status === 'error' ? ack.error.code : ack.status));

    // A burst of 3 tokens: ok, dropped (replaced by the third), ok, then 3 rejections.
    expect(codes).toEqual(['ok', 'dropped', 'ok', 'ERR_RATE_LIMITED', 'ERR_RATE_LIMITED', 'ERR_RATE_LIMITED']);
    const rejected = acks[3];
    if (rejected?.status === 'error') expect(rejected.error.message).toContain('CATDOG_MAX_FPS');
  });
});
