import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { ClassifierPool } from '../../server/classifier/pool.js';
import type { ResolvedConfig } from '../../server/config.js';
import type { PresenceEvent } from '../../server/protocol.js';
import { readFixture } from '../support/fixtures.js';
import { createTestPool, joinSession, LiveApp, sendFrame, testConfig } from '../support/live-app.js';

let pool: ClassifierPool;
const apps: LiveApp[] = [];

beforeAll(async () => {
  pool = await createTestPool(testConfig());
});

afterAll(async () => {
  await pool.close();
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((live) => live.close()));
});

async function start(config: ResolvedConfig): Promise<LiveApp> {
  const live = await LiveApp.start(config, pool);
  apps.push(live);
  return live;
}

/** Generous bound for one acknowledgement on a loaded 2-core machine: about 20 wasm inferences. */
const ACK_BOUND_MS = 5_000;

describe('upload limit', () => {
  it('keeps a camera flowing during an upload flood', async () => {
    const live = await start(testConfig({ CATDOG_MAX_FPS: '120', CATDOG_MAX_UPLOADS: '1', CATDOG_UPLOAD_QUEUE: '2' }));
    const photo = await readFixture('cat/cat-001.jpg');
    const camera = await live.join(await live.createSession(), 'camera');

    const flood = Array.from({ length: 150 }, () =>
      fetch(`${live.url}/api/classify`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: photo }).then(async (response) => ({
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: (await response.json()) as { error?: { code: string } },
      })),
    );

    const ackTimes: number[] = [];
    for (let frame = 0; frame < 5; frame++) {
      const sentAt = performance.now();
      const ack = await sendFrame(camera.client, photo);
      ackTimes.push(performance.now() - sentAt);
      expect(ack.status).toBe('ok');
    }

    const responses = await Promise.all(flood);
    const busy = responses.filter((response) => response.status === 503);
    const classified = responses.filter((response) => response.status === 200);

    expect(Math.max(...ackTimes)).toBeLessThan(ACK_BOUND_MS);
    expect(classified.length).toBeGreaterThanOrEqual(3);
    expect(busy.length).toBeGreaterThan(100);
    expect(busy.every((response) => response.body.error?.code === 'ERR_SERVER_BUSY')).toBe(true);
    expect(busy.every((response) => response.retryAfter === '1')).toBe(true);
    expect(responses.length).toBe(classified.length + busy.length);
  });
});

describe('session limits', () => {
  it('rejects joins beyond the member limit', async () => {
    const live = await start(testConfig({ CATDOG_MAX_SESSION_MEMBERS: '3' }));
    const sessionId = await live.createSession();
    const members = await Promise.all([live.join(sessionId, 'viewer'), live.join(sessionId, 'viewer'), live.join(sessionId, 'camera')]);

    const extra = await live.connect();
    const rejected = await joinSession(extra, { sessionId, role: 'viewer' });
    expect(rejected.status).toBe('error');
    if (rejected.status === 'error') {
      expect(rejected.error.code).toBe('ERR_SESSION_FULL');
      expect(rejected.error.message).toContain('CATDOG_MAX_SESSION_MEMBERS');
    }

    // A member rejoining its own session is not counted twice.
    const rejoin = await joinSession(members[0]!.client, { sessionId, role: 'camera' });
    expect(rejoin.status).toBe('ok');

    members[1]!.client.disconnect();
    await expect.poll(async () => (await joinSession(extra, { sessionId, role: 'viewer' })).status, { timeout: 5_000 }).toBe('ok');
  });

  it('coalesces presence during a join burst', async () => {
    const live = await start(testConfig({ CATDOG_PRESENCE_INTERVAL_MS: '250' }));
    const sessionId = await live.createSession();
    const first = await live.join(sessionId, 'viewer');
    const updates: PresenceEvent[] = [];
    first.client.on('presence', (event) => updates.push(event));

    const joining = 30;
    await Promise.all(Array.from({ length: joining }, () => live.join(sessionId, 'viewer')));

    await expect.poll(() => updates.at(-1)?.members.length, { timeout: 5_000 }).toBe(joining + 1);
    expect(updates.length).toBeLessThan(joining / 3);
  });

  it('rate-limits session creation per address', async () => {
    const live = await start(testConfig({ CATDOG_SESSION_CREATES_PER_MINUTE: '5' }));

    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let request = 0; request < 8; request++) {
      const response = await fetch(`${live.url}/api/sessions`, { method: 'POST' });
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
      else await response.arrayBuffer();
    }

    expect(statuses.slice(0, 5)).toEqual([201, 201, 201, 201, 201]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(limited?.headers.get('retry-after')).toBe('1');
    const body = (await limited?.json()) as { error: { code: string } };
    expect(body.error.code).toBe('ERR_RATE_LIMITED');
  });
});

describe('unknown events', () => {
  it('acknowledges an unknown event with an error', async () => {
    const live = await start(testConfig());
    const client = await live.connect();

    // Untyped, as a client with a typo in the event name would send it.
    const untyped = client as unknown as { timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> } };
    const ack = (await untyped.timeout(5_000).emitWithAck('classify_frame', new Uint8Array([1]))) as {
      status: string;
      error: { code: string; message: string };
    };

    expect(ack.status).toBe('error');
    expect(ack.error.code).toBe('ERR_UNKNOWN_EVENT');
    expect(ack.error.message).toContain("'classify_frame'");
    expect(ack.error.message).toContain('classify-frame');
    expect(ack.error.message).toContain('join-session');
  });
});
