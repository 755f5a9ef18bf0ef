import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ClassifierPool } from '../../server/classifier/pool.js';
import { readFixture } from '../support/fixtures.js';
import type { FrameAck } from '../../server/protocol.js';
import { createTestPool, LiveApp, sendFrame, testConfig, type TestClient } from '../support/live-app.js';

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

  it('disconnects a looping camera after few rejections', async () => {
    const live = await LiveApp.start(config, pool);
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera');
    const photo = await readFixture('cat/cat-002.jpg');
    const disconnected = new Promise<string>((resolve) => camera.client.once('disconnect', resolve));

    // The documented client loop: send a frame, wait for its acknowledgement, send the next.
    const acks: FrameAck[] = [];
    const loop = (async () => {
      while (camera.client.connected) {
        const ack = await sendUnlessDisconnected(camera.client, photo);
        if (ack === null) return;
        acks.push(ack);
      }
    })();

    await expect.poll(() => acks.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const closing = live.app.close();
    await loop;

    const rejected = acks.filter((ack) => ack.status === 'error');
    expect(rejected.length).toBeLessThanOrEqual(3);
    for (const ack of rejected) if (ack.status === 'error') expect(ack.error.code).toBe('ERR_SERVER_SHUTTING_DOWN');
    // A transport close, unlike a server-side disconnect, makes clients reconnect on their own.
    expect(await disconnected).toBe('transport close');

    await closing;
    await live.close();
  });

  it('rejects connections after close', async () => {
    const live = await LiveApp.start(config, pool);
    const url = live.url;
    await live.close();

    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

/** Sends a frame and returns its acknowledgement, or null when the socket disconnects first. */
function sendUnlessDisconnected(client: TestClient, frame: Buffer): Promise<FrameAck | null> {
  return new Promise((resolve, reject) => {
    const onDisconnect = (): void => resolve(null);
    client.once('disconnect', onDisconnect);
    sendFrame(client, frame).then(
      (ack) => {
        client.off('disconnect', onDisconnect);
        resolve(ack);
      },
      (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
    );
  });
}
