import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { Writable } from 'node:stream';

import { pino } from 'pino';
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

async function start(config: ResolvedConfig, logger?: pino.Logger): Promise<LiveApp> {
  const live = await LiveApp.start(config, pool, logger);
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

interface LogRecord {
  level: number;
  msg: string;
  code?: string;
  err?: unknown;
}

/** Creates a debug-level pino logger whose JSON lines are collected in `records`. */
function collectingLogger(): { logger: pino.Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') records.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), records };
}

/** pino's numeric levels. */
const INFO = 30;
const ERROR = 50;

describe('client fault logging', () => {
  it('logs an aborted upload at info', async () => {
    const { logger, records } = collectingLogger();
    const live = await start(testConfig(), logger);

    // Announce 100 kB, send 1 kB, then drop the connection.
    const received = once(live.app.httpServer, 'request');
    const socket = connectTcp(live.app.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /api/classify HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n');
    socket.write(Buffer.alloc(1000, 0xff));
    await received;
    socket.destroy();

    await expect.poll(() => records.find((record) => record.code === 'ERR_REQUEST_ABORTED'), { timeout: 5_000 }).toBeDefined();
    const aborted = records.find((record) => record.code === 'ERR_REQUEST_ABORTED');
    expect(aborted?.level).toBe(INFO);
    expect(aborted?.err).toBeUndefined();
    expect(records.filter((record) => record.level >= ERROR)).toEqual([]);
  });

  it('cuts off a stalled upload', async () => {
    const { logger, records } = collectingLogger();
    const live = await start(testConfig({ CATDOG_HTTP_REQUEST_TIMEOUT_MS: '1000' }), logger);

    const socket = connectTcp(live.app.port, '127.0.0.1');
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const startedAt = performance.now();
    socket.write('POST /api/classify HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n');
    socket.write(Buffer.alloc(1000, 0xff));

    await once(socket, 'close');
    const elapsedMs = performance.now() - startedAt;

    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsedMs).toBeGreaterThanOrEqual(900);
    expect(elapsedMs).toBeLessThan(5_000);
    await expect.poll(() => records.find((record) => record.code === 'ERR_REQUEST_ABORTED')).toBeDefined();
    expect(records.filter((record) => record.level >= ERROR)).toEqual([]);
  });

  it('logs a repeated client mistake once at info', async () => {
    const { logger, records } = collectingLogger();
    const live = await start(testConfig(), logger);
    const client = await live.connect();

    for (let attempt = 0; attempt < 5; attempt++) {
      const ack = await sendFrame(client, new Uint8Array([1, 2, 3]));
      expect(ack.status).toBe('error');
    }

    const rejections = records.filter((record) => record.code === 'ERR_NOT_A_CAMERA');
    expect(rejections).toHaveLength(5);
    expect(rejections.filter((record) => record.level === INFO)).toHaveLength(1);
    expect(rejections.every((record) => record.err === undefined)).toBe(true);
  });
});
