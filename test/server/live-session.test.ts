import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { ClassifierPool } from '../../server/classifier/pool.js';
import type { ClassificationEvent, HistoryAck } from '../../server/protocol.js';
import { readFixture } from '../support/fixtures.js';
import { createTestPool, joinSession, LiveApp, nextEvent, sendFrame, testConfig } from '../support/live-app.js';

const config = testConfig({ CATDOG_THUMBNAIL_INTERVAL_MS: '0' });
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

describe('live session', () => {
  it('sends a cat verdict to camera and viewer', async () => {
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera', 'Kitchen');
    const viewer = await live.join(sessionId, 'viewer');

    const atCamera = nextEvent(camera.client, 'classification-result');
    const atViewer = nextEvent(viewer.client, 'classification-result');
    const ack = await sendFrame(camera.client, await readFixture('cat/cat-001.jpg'));

    expect(ack.status).toBe('ok');
    if (ack.status !== 'ok') return;
    expect(ack.result.verdict).toBe('cat');
    expect(ack.frameId).toBe(1);
    expect(ack.counts).toEqual({ cats: 1, dogs: 0, frames: 1 });

    for (const [event] of [await atCamera, await atViewer]) {
      expect(event.sessionId).toBe(sessionId);
      expect(event.cameraId).toBe(camera.joined.you.id);
      expect(event.cameraName).toBe('Kitchen');
      expect(event.frameId).toBe(1);
      expect(event.result.verdict).toBe('cat');
      expect(event.result.detections.some((detection) => detection.label === 'cat')).toBe(true);
      expect(event.counts).toEqual({ cats: 1, dogs: 0, frames: 1 });
    }
  });

  it('fans out a thumbnail at most 320 px', async () => {
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera');
    const viewer = await live.join(sessionId, 'viewer');

    const received = nextEvent(viewer.client, 'classification-result');
    await sendFrame(camera.client, await readFixture('cat/cat-002.jpg'));
    const [event] = await received;

    expect(event.thumbnail).not.toBeNull();
    const metadata = await sharp(event.thumbnail as Buffer).metadata();
    expect(metadata.format).toBe('jpeg');
    expect(Math.max(metadata.width, metadata.height)).toBeLessThanOrEqual(320);
  });

  it('limits thumbnails per camera by interval', async () => {
    await live.close();
    const slowThumbnails = testConfig({ CATDOG_THUMBNAIL_INTERVAL_MS: '60000' });
    live = await LiveApp.start(slowThumbnails, pool);

    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera');
    const viewer = await live.join(sessionId, 'viewer');
    const events: ClassificationEvent[] = [];
    viewer.client.on('classification-result', (event) => events.push(event));

    const photo = await readFixture('cat/cat-003.jpg');
    await sendFrame(camera.client, photo);
    await sendFrame(camera.client, photo);

    await expect.poll(() => events.length).toBe(2);
    expect(events[0]?.thumbnail).not.toBeNull();
    expect(events[1]?.thumbnail).toBeNull();
  });

  it('shows cameras and viewers in presence', async () => {
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera', 'Porch');

    const update = nextEvent(camera.client, 'presence', (event) => event.members.length === 2);
    const viewer = await live.join(sessionId, 'viewer', 'Phone');
    const [presence] = await update;

    expect(presence.sessionId).toBe(sessionId);
    expect(presence.members.map((member) => [member.name, member.role])).toEqual([
      ['Porch', 'camera'],
      ['Phone', 'viewer'],
    ]);
    expect(viewer.joined.members).toHaveLength(2);
    expect(viewer.joined.you.role).toBe('viewer');

    const left = nextEvent(camera.client, 'presence', (event) => event.members.length === 1);
    viewer.client.disconnect();
    const [afterLeave] = await left;
    expect(afterLeave.members[0]?.id).toBe(camera.joined.you.id);
  });

  it('tags results with their camera', async () => {
    const sessionId = await live.createSession();
    const kitchen = await live.join(sessionId, 'camera', 'Kitchen');
    const garden = await live.join(sessionId, 'camera', 'Garden');
    const viewer = await live.join(sessionId, 'viewer');
    const events: ClassificationEvent[] = [];
    viewer.client.on('classification-result', (event) => events.push(event));

    await Promise.all([
      sendFrame(kitchen.client, await readFixture('cat/cat-001.jpg')),
      sendFrame(garden.client, await readFixture('dog/dog-001.jpg')),
    ]);

    await expect.poll(() => events.length).toBe(2);
    const byCamera = new Map(events.map((event) => [event.cameraName, event]));
    expect(byCamera.get('Kitchen')?.cameraId).toBe(kitchen.joined.you.id);
    expect(byCamera.get('Kitchen')?.result.verdict).toBe('cat');
    expect(byCamera.get('Garden')?.cameraId).toBe(garden.joined.you.id);
    expect(byCamera.get('Garden')?.result.verdict).toBe('dog');
    expect(viewer.joined.members.filter((member) => member.role === 'camera')).toHaveLength(2);
  });

  it('returns history and counts on join', async () => {
    const sessionId = await live.createSession();
    const camera = await live.join(sessionId, 'camera');
    await sendFrame(camera.client, await readFixture('cat/cat-004.jpg'));
    await sendFrame(camera.client, await readFixture('dog/dog-001.jpg'));

    const viewer = await live.connect();
    const ack = await joinSession(viewer, { sessionId, role: 'viewer', historyLimit: 10 });

    expect(ack.status).toBe('ok');
    if (ack.status !== 'ok') return;
    expect(ack.history.map((entry) => entry.verdict)).toEqual(['cat', 'dog']);
    expect(ack.history.every((entry) => entry.cameraId === camera.joined.you.id)).toBe(true);
    expect(ack.counts).toEqual({ cats: 1, dogs: 1, frames: 2 });

    const history: HistoryAck = await viewer.timeout(10_000).emitWithAck('get-history', { limit: 1 });
    expect(history.status).toBe('ok');
    if (history.status !== 'ok') return;
    expect(history.entries.map((entry) => entry.verdict)).toEqual(['dog']);
    expect(history.counts.frames).toBe(2);
  });

  it('rejects a malformed session id', async () => {
    const client = await live.connect();

    for (const sessionId of ['short', 'x'.repeat(65), 'has spaces in it and more text', '../../etc/passwd/aaaaaaaaaa']) {
      const ack = await joinSession(client, { sessionId: sessionId as string, role: 'viewer' });
      expect(ack.status, `session id ${String(sessionId)}`).toBe('error');
      if (ack.status === 'error') expect(ack.error.code).toBe('ERR_INVALID_SESSION_ID');
    }
  });

  it('rejects an unknown session id', async () => {
    const client = await live.connect();
    const ack = await joinSession(client, { sessionId: 'A'.repeat(22), role: 'camera' });

    expect(ack.status).toBe('error');
    if (ack.status === 'error') {
      expect(ack.error.code).toBe('ERR_SESSION_NOT_FOUND');
      expect(ack.error.message).toContain('open the page without a session');
      expect(ack.error.message).toContain('POST /api/sessions');
    }
  });

  it('keeps sessions apart', async () => {
    const first = await live.createSession();
    const second = await live.createSession();
    const camera = await live.join(first, 'camera');
    const outsider = await live.join(second, 'viewer');

    let leaked = 0;
    outsider.client.on('classification-result', () => leaked++);
    const inside = nextEvent(camera.client, 'classification-result');
    await sendFrame(camera.client, await readFixture('cat/cat-005.jpg'));
    await inside;

    // The outsider's own round trip proves every earlier broadcast has reached it.
    const history = await outsider.client.timeout(10_000).emitWithAck('get-history', {});
    expect(history.status).toBe('ok');
    expect(leaked).toBe(0);
  });
});
