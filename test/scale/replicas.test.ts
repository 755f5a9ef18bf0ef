import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import type {
  ClassificationEvent,
  ClientToServerEvents,
  FrameAck,
  FrameOk,
  HistoryEntry,
  JoinSessionAck,
  JoinSessionOk,
  PresenceEvent,
  Role,
  ServerToClientEvents,
  SessionCounts,
} from '../../server/protocol.js';
import { readFixture } from '../support/fixtures.js';
import { RedisServerProcess } from '../support/redis-server.js';
import { ReplicaProcess } from '../support/replica.js';
import { TcpBalancer } from './tcp-balancer.js';

// Two real replica processes (`node dist/server/main.js`) share one real redis-server.
// Clients are real socket.io-client instances over WebSocket.

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const CAT_PHOTO = 'cat/cat-001.jpg';
/** Maximum time for fan-out to resume after Redis returns, in ms. */
const FAN_OUT_RESUME_BUDGET_MS = 5000;

interface Member {
  client: Client;
  results: ClassificationEvent[];
  presence: PresenceEvent[];
}

const openClients = new Set<Client>();

function connect(url: string, options: { reconnection?: boolean } = {}): Member {
  const client: Client = connectClient(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: options.reconnection ?? false,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
  });
  openClients.add(client);

  const member: Member = { client, results: [], presence: [] };
  client.on('classification-result', (event) => member.results.push(event));
  client.on('presence', (event) => member.presence.push(event));
  return member;
}

async function joinSession(member: Member, sessionId: string, role: Role, historyLimit = 0): Promise<JoinSessionOk> {
  if (!member.client.connected) {
    await new Promise<void>((resolve, reject) => {
      member.client.once('connect', resolve);
      member.client.once('connect_error', reject);
    });
  }
  const ack: JoinSessionAck = await member.client.timeout(10_000).emitWithAck('join-session', { sessionId, role, historyLimit });
  if (ack.status !== 'ok') throw new Error(`join-session as ${role} failed: ${ack.error.code} ${ack.error.message}`);
  return ack;
}

async function sendFrame(member: Member, frame: Buffer): Promise<FrameOk> {
  const ack: FrameAck = await member.client.timeout(30_000).emitWithAck('classify-frame', frame);
  if (ack.status !== 'ok') throw new Error(`classify-frame failed: ${JSON.stringify(ack)}`);
  return ack;
}

async function createSession(url: string): Promise<string> {
  const response = await fetch(`${url}/api/sessions`, { method: 'POST' });
  expect(response.status).toBe(201);
  return ((await response.json()) as { sessionId: string }).sessionId;
}

async function fetchHistory(url: string, sessionId: string): Promise<{ entries: HistoryEntry[]; counts: SessionCounts }> {
  const response = await fetch(`${url}/api/sessions/${sessionId}/history`);
  expect(response.status).toBe(200);
  return (await response.json()) as { entries: HistoryEntry[]; counts: SessionCounts };
}

function lastPresence(member: Member): PresenceEvent | undefined {
  return member.presence.at(-1);
}

describe('replicas sharing one redis', () => {
  let redis: RedisServerProcess;
  let replicaA: ReplicaProcess;
  let replicaB: ReplicaProcess;
  let catPhoto: Buffer;

  beforeAll(async () => {
    catPhoto = await readFixture(CAT_PHOTO);
    redis = await RedisServerProcess.start();
    [replicaA, replicaB] = await Promise.all([
      ReplicaProcess.start({ redisUrl: redis.url }),
      ReplicaProcess.start({ redisUrl: redis.url }),
    ]);
  });

  afterEach(() => {
    for (const client of openClients) client.disconnect();
    openClients.clear();
  });

  afterAll(async () => {
    await Promise.allSettled([replicaA?.close(), replicaB?.close()]);
    await redis?.close();
  });

  it('shares verdicts, thumbnails and presence', async () => {
    const sessionId = await createSession(replicaA.url);
    const viewer = connect(replicaB.url);
    await joinSession(viewer, sessionId, 'viewer');
    const camera = connect(replicaA.url);
    await joinSession(camera, sessionId, 'camera');

    await vi.waitFor(() => {
      const members = lastPresence(viewer)?.members ?? [];
      expect(members.map((member) => member.role).sort()).toEqual(['camera', 'viewer']);
    });

    const ack = await sendFrame(camera, catPhoto);
    expect(ack.result.verdict).toBe('cat');

    await vi.waitFor(() => expect(viewer.results).toHaveLength(1));
    const event = viewer.results[0]!;
    expect(event.sessionId).toBe(sessionId);
    expect(event.cameraId).toBe(camera.client.id);
    expect(event.result.verdict).toBe('cat');
    expect(event.thumbnail).not.toBeNull();
    expect(event.counts).toEqual({ cats: 1, dogs: 0, frames: 1 });
  });

  it('keeps serving local clients while redis is down', async () => {
    const sessionId = await createSession(replicaA.url);
    const camera = connect(replicaA.url);
    await joinSession(camera, sessionId, 'camera');
    const localViewer = connect(replicaA.url);
    await joinSession(localViewer, sessionId, 'viewer');
    const remoteViewer = connect(replicaB.url);
    await joinSession(remoteViewer, sessionId, 'viewer');
    const outagesBefore = replicaA.logsStartingWith('redis connection lost').length;

    await redis.stop();
    await vi.waitFor(async () => expect((await fetch(`${replicaA.url}/readyz`)).status).toBe(503));

    // Several frames: classification continues, and the outage is still logged once.
    for (let frame = 0; frame < 3; frame += 1) {
      const ack = await sendFrame(camera, catPhoto);
      expect(ack.result.verdict).toBe('cat');
      expect(ack.counts).toBeNull();
    }
    await vi.waitFor(() => expect(localViewer.results).toHaveLength(3));
    expect(remoteViewer.results).toHaveLength(0);
    expect(replicaA.logsStartingWith('redis connection lost').length - outagesBefore).toBe(1);

    await redis.restart();
    const restartedAt = Date.now();

    // Poll with frames until one reaches the other replica again.
    await vi.waitFor(
      async () => {
        await sendFrame(camera, catPhoto);
        expect(remoteViewer.results.length).toBeGreaterThan(0);
      },
      { timeout: FAN_OUT_RESUME_BUDGET_MS, interval: 50 },
    );
    expect(Date.now() - restartedAt).toBeLessThan(FAN_OUT_RESUME_BUDGET_MS);

    expect(replicaA.running).toBe(true);
    expect(replicaB.running).toBe(true);
    expect((await fetch(`${replicaA.url}/readyz`)).status).toBe(200);
    expect(replicaA.logsStartingWith('redis connection restored').length).toBeGreaterThanOrEqual(1);
  });

  it('moves clients of a killed replica to the other', async () => {
    const balancer = await TcpBalancer.start([replicaA.port]);
    try {
      const sessionId = await createSession(replicaA.url);
      const viewer = connect(replicaB.url);
      await joinSession(viewer, sessionId, 'viewer');

      // The camera reaches replica A through the balancer and rejoins after every
      // reconnection, as the web client does.
      const camera = connect(balancer.url, { reconnection: true });
      await joinSession(camera, sessionId, 'camera');
      camera.client.io.on('reconnect', () => void joinSession(camera, sessionId, 'camera'));
      await sendFrame(camera, catPhoto);
      await vi.waitFor(() => expect(viewer.results).toHaveLength(1));

      balancer.setBackends([replicaA.port, replicaB.port]);
      const firstCameraId = camera.client.id;
      await replicaA.kill();

      await vi.waitFor(
        () => {
          const cameras = (lastPresence(viewer)?.members ?? []).filter((member) => member.role === 'camera');
          expect(cameras.map((member) => member.id)).toEqual([camera.client.id]);
          expect(camera.client.id).not.toBe(firstCameraId);
        },
        { timeout: 15_000 },
      );

      await sendFrame(camera, catPhoto);
      await vi.waitFor(() => expect(viewer.results).toHaveLength(2));
      expect(viewer.results[1]?.cameraId).toBe(camera.client.id);
      expect(viewer.results[1]?.counts).toEqual({ cats: 2, dogs: 0, frames: 2 });
      expect(replicaB.running).toBe(true);
    } finally {
      await balancer.close();
      if (!replicaA.running) await replicaA.restart();
    }
  });

  it('keeps history across restarts of both replicas', async () => {
    const sessionId = await createSession(replicaA.url);
    const camera = connect(replicaA.url);
    await joinSession(camera, sessionId, 'camera');
    await sendFrame(camera, catPhoto);
    await sendFrame(camera, catPhoto);
    camera.client.disconnect();

    await Promise.all([replicaA.stop(), replicaB.stop()]);
    expect(replicaA.exitCode).toBe(0);
    expect(replicaB.exitCode).toBe(0);
    await Promise.all([replicaA.restart(), replicaB.restart()]);

    const history = await fetchHistory(replicaB.url, sessionId);
    expect(history.counts).toEqual({ cats: 2, dogs: 0, frames: 2 });
    expect(history.entries.map((entry) => entry.verdict)).toEqual(['cat', 'cat']);

    const viewer = connect(replicaA.url);
    const joined = await joinSession(viewer, sessionId, 'viewer', 10);
    expect(joined.history).toHaveLength(2);
    expect(joined.counts.cats).toBe(2);
  });
});
