import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { ClassifierPool } from '../../server/classifier/pool.js';
import type { ErrorCode } from '../../server/errors.js';
import type { FrameAck, JoinSessionRequest, ProtocolErrorEvent } from '../../server/protocol.js';
import { buildInputCases } from '../support/bad-inputs.js';
import { readFixture } from '../support/fixtures.js';
import { createTestPool, joinSession, LiveApp, nextEvent, sendFrame, testConfig, type TestClient } from '../support/live-app.js';

const MAX_IMAGE_BYTES = 200_000;
const config = testConfig({ CATDOG_MAX_FPS: '120', CATDOG_MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES) });
let pool: ClassifierPool;
let live: LiveApp;

beforeAll(async () => {
  pool = await createTestPool(config);
});

afterAll(async () => {
  await pool.close();
});

beforeEach(async () => {
  live = await LiveApp.start(config, pool);
});

afterEach(async () => {
  await live.close();
});

function errorCode(ack: FrameAck): string {
  return ack.status === 'error' ? ack.error.code : ack.status;
}

/** Sends a cat photo from `camera` and checks that `viewer` receives its cat verdict. */
async function expectWorkingCamera(camera: TestClient, viewer: TestClient, photo: Buffer): Promise<void> {
  const received = nextEvent(viewer, 'classification-result', (event) => event.cameraId === camera.id);
  const ack = await sendFrame(camera, photo);

  expect(errorCode(ack)).toBe('ok');
  const [event] = await received;
  expect(event.result.verdict).toBe('cat');
}

describe('bad clients', () => {
  it('gets an error code for each bad frame', async () => {
    const sessionId = await live.createSession();
    const bad = await live.join(sessionId, 'camera', 'Bad');
    const good = await live.join(sessionId, 'camera', 'Good');
    const viewer = await live.join(sessionId, 'viewer');
    const photo = await readFixture('cat/cat-001.jpg');

    const cases: Array<{ name: string; frame: unknown; expected: ErrorCode }> = [
      { name: 'base64 text', frame: photo.toString('base64'), expected: 'ERR_INVALID_PAYLOAD' },
      { name: 'number', frame: 42, expected: 'ERR_INVALID_PAYLOAD' },
      { name: 'object', frame: { image: 'x' }, expected: 'ERR_INVALID_PAYLOAD' },
      { name: 'null', frame: null, expected: 'ERR_INVALID_PAYLOAD' },
      { name: 'over the size limit', frame: Buffer.alloc(MAX_IMAGE_BYTES + 1, 0xff), expected: 'ERR_IMAGE_TOO_LARGE' },
    ];
    for (const input of await buildInputCases()) {
      if (input.expected.startsWith('ERR_')) cases.push({ name: input.name, frame: input.bytes, expected: input.expected as ErrorCode });
    }

    for (const { name, frame, expected } of cases) {
      // The good camera's frame runs alongside each bad one.
      const [badAck] = await Promise.all([
        sendFrame(bad.client, frame as Buffer),
        expectWorkingCamera(good.client, viewer.client, photo),
      ]);
      expect(errorCode(badAck), name).toBe(expected);
      if (badAck.status === 'error') expect(badAck.error.message.length, name).toBeGreaterThan(10);
    }

    // The bad camera still works once it sends a real photo.
    await expectWorkingCamera(bad.client, viewer.client, photo);
  });

  it('names the limit in the size error', async () => {
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera');

    const ack = await sendFrame(camera.client, Buffer.alloc(MAX_IMAGE_BYTES + 1));

    expect(errorCode(ack)).toBe('ERR_IMAGE_TOO_LARGE');
    if (ack.status === 'error') {
      expect(ack.error.message).toContain(String(MAX_IMAGE_BYTES));
      expect(ack.error.message).toContain('CATDOG_MAX_IMAGE_BYTES');
    }
    expect(camera.client.connected).toBe(true);
  });

  it('disconnects only a client over the message limit', async () => {
    const sessionId = await live.createSession();
    const huge = await live.join(sessionId, 'camera');
    const good = await live.join(sessionId, 'camera');
    const viewer = await live.join(sessionId, 'viewer');

    const disconnected = new Promise<string>((resolve) => huge.client.once('disconnect', resolve));
    huge.client.emit('classify-frame', Buffer.alloc(MAX_IMAGE_BYTES * 3), () => undefined);
    expect(await disconnected).toBe('transport close');

    await expectWorkingCamera(good.client, viewer.client, await readFixture('cat/cat-001.jpg'));
  });

  it('rejects frames from viewers and strangers', async () => {
    const sessionId = await live.createSession();
    const viewer = await live.join(sessionId, 'viewer');
    const stranger = await live.connect();
    const photo = await readFixture('cat/cat-003.jpg');

    expect(errorCode(await sendFrame(viewer.client, photo))).toBe('ERR_NOT_A_CAMERA');
    expect(errorCode(await sendFrame(stranger, photo))).toBe('ERR_NOT_A_CAMERA');
  });

  it('stops frames after switching to viewer', async () => {
    const sessionId = await live.createSession();
    const tab = await live.join(sessionId, 'camera');
    const photo = await readFixture('cat/cat-004.jpg');
    expect(errorCode(await sendFrame(tab.client, photo))).toBe('ok');

    const ack = await joinSession(tab.client, { sessionId, role: 'viewer' });
    expect(ack.status).toBe('ok');
    expect(errorCode(await sendFrame(tab.client, photo))).toBe('ERR_NOT_A_CAMERA');
  });

  it('rejects malformed join requests', async () => {
    const client = await live.connect();
    const sessionId = await live.createSession();

    const requests: Array<[string, unknown]> = [
      ['string payload', 'join please'],
      ['array payload', [sessionId, 'camera']],
      ['unknown role', { sessionId, role: 'admin' }],
      ['numeric name', { sessionId, role: 'viewer', name: 7 }],
      ['negative history limit', { sessionId, role: 'viewer', historyLimit: -1 }],
      ['fractional history limit', { sessionId, role: 'viewer', historyLimit: 1.5 }],
    ];
    for (const [name, request] of requests) {
      const ack = await joinSession(client, request as JoinSessionRequest);
      expect(ack.status, name).toBe('error');
      if (ack.status === 'error') expect(ack.error.code, name).toBe('ERR_INVALID_PAYLOAD');
    }

    const ok = await joinSession(client, { sessionId, role: 'viewer', name: '  Tab\u0000 with a very long name that goes on and on and on  ' });
    expect(ok.status).toBe('ok');
    if (ok.status === 'ok') expect(ok.you.name).toBe('Tab with a very long name that goes on a');
  });

  it('sends protocol-error for unknown events and missing callbacks', async () => {
    const client = await live.connect();
    const errors: ProtocolErrorEvent[] = [];
    client.on('protocol-error', (event) => errors.push(event));

    // Untyped, as a client written without the protocol types would send them.
    const untyped = client as unknown as { emit(event: string, ...args: unknown[]): void };
    untyped.emit('delete-everything', {});
    untyped.emit('classify-frame', new Uint8Array([1, 2, 3]));
    untyped.emit('join-session', { sessionId: 'x', role: 'viewer' });

    await expect.poll(() => errors.length).toBe(3);
    expect(errors.map((error) => [error.event, error.code])).toEqual([
      ['delete-everything', 'ERR_UNKNOWN_EVENT'],
      ['classify-frame', 'ERR_INVALID_PAYLOAD'],
      ['join-session', 'ERR_INVALID_PAYLOAD'],
    ]);
    expect(client.connected).toBe(true);
  });

  it('rate-limits floods of control events', async () => {
    const client = await live.connect();
    const sessionId = await live.createSession();

    const acks = await Promise.all(Array.from({ length: 30 }, () => joinSession(client, { sessionId, role: 'viewer' })));
    const codes = acks.map((ack) => (ack.status === 'error' ? ack.error.code : ack.status));

    expect(codes.filter((code) => code === 'ok').length).toBeGreaterThanOrEqual(10);
    expect(codes).toContain('ERR_RATE_LIMITED');
    expect(codes.every((code) => code === 'ok' || code === 'ERR_RATE_LIMITED')).toBe(true);
  });
});
