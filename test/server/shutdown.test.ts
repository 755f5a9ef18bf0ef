import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ClassifierPool } from '../../server/classifier/pool.js';
import { readFixture } from '../support/fixtures.js';
import { createTestPool, LiveApp, sendFrame, testConfig } from '../support/live-app.js';

const config = testConfig({ CATDOG_MAX_FPS: '120' });
let pool: ClassifierPool;

beforeAll(async () => {
  pool = await createTestPool(config);
});

afterAll(async () => {
  await pool.close();
});

describe('app close', () => {
  it('finishes the running frame and rejects the waiting one', async () => {
    const live = await LiveApp.start(config, pool);
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera');
    const photo = await readFixture('cat/cat-001.jpg');

    const running = sendFrame(camera.client, photo);
    const replaced = sendFrame(camera.client, photo);
    const waiting = sendFrame(camera.client, photo);

    // The second frame's `dropped` ack proves the third one is queued behind the first.
    expect((await replaced).status).toBe('dropped');
    const closing = live.app.close();

    const waitingAck = await waiting;
    expect(waitingAck.status).toBe('error');
    if (waitingAck.status === 'error') expect(waitingAck.error.code).toBe('ERR_SERVER_SHUTTING_DOWN');

    const runningAck = await running;
    expect(runningAck.status).toBe('ok');

    await closing;
    expect(live.app.close()).toBe(closing);
    await live.close();
  });

  it('rejects connections after close', async () => {
    const live = await LiveApp.start(config, pool);
    const url = live.url;
    await live.close();

    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
