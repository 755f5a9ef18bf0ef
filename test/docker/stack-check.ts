/**
 * Checks a running Docker Compose stack through its load balancer. scripts/docker-test.sh
 * runs it with tsx:
 *
 *   tsx test/docker/stack-check.ts share   URL        prints the id of a session it created
 *   tsx test/docker/stack-check.ts history URL ID     checks that session's history
 *
 * `share` makes a camera and a viewer reach two different replicas (pinned by HAProxy's
 * replica cookie), classifies a real cat photo on the camera and waits for the viewer to
 * receive the result. `history` runs after the stack was taken down and up again.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

import { io, type Socket } from 'socket.io-client';

import type { ClassificationEvent, ClientToServerEvents, FrameAck, HistoryEntry, JoinSessionAck, PresenceEvent, ServerToClientEvents, SessionCounts } from '../../server/protocol.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const CAT_PHOTO = new URL('../fixtures/cat/cat-001.jpg', import.meta.url);
/** Time allowed for two replicas to pass the load balancer's readiness check, in ms. */
const REPLICAS_READY_TIMEOUT_MS = 240_000;
/** Time allowed for one Socket.IO step (connect, join, classify, fan-out), in ms. */
const STEP_TIMEOUT_MS = 60_000;
const REPLICA_COOKIE = 'catdog_replica';

interface Replica {
  /** HAProxy server slot, from the X-Replica response header. */
  slot: string;
  /** `catdog_replica=<value>` cookie that pins requests to that slot. */
  cookie: string;
}

function log(message: string): void {
  process.stderr.write(`stack-check: ${message}\n`);
}

function fail(message: string): never {
  throw new Error(message);
}

/** Polls GET /readyz until two different replicas have responded with 200. */
async function findTwoReadyReplicas(baseUrl: string): Promise<[Replica, Replica]> {
  const seen = new Map<string, Replica>();
  const deadline = Date.now() + REPLICAS_READY_TIMEOUT_MS;

  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/readyz`).catch(() => undefined);
    const slot = response?.headers.get('x-replica');
    const setCookie = response?.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0] ?? '';

    if (response?.status === 200 && slot && cookie.startsWith(`${REPLICA_COOKIE}=`) && !seen.has(slot)) {
      seen.set(slot, { slot, cookie });
      log(`replica ${slot} is ready`);
    }
    if (seen.size >= 2) {
      const [first, second] = [...seen.values()];
      return [first!, second!];
    }
    await delay(500);
  }
  fail(`fewer than two replicas passed GET /readyz through ${baseUrl} within ${REPLICAS_READY_TIMEOUT_MS} ms (saw: ${[...seen.keys()].join(', ') || 'none'})`);
}

/** Checks that the cookie keeps routing requests to its replica. */
async function expectSticky(baseUrl: string, replica: Replica): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const response = await fetch(`${baseUrl}/healthz`, { headers: { cookie: replica.cookie } });
    const slot = response.headers.get('x-replica');
    if (slot !== replica.slot) fail(`cookie ${replica.cookie} should pin requests to ${replica.slot}, but ${slot} served one`);
  }
}

function withTimeout<T>(promise: Promise<T>, description: string): Promise<T> {
  return Promise.race([
    promise,
    delay(STEP_TIMEOUT_MS).then(() => fail(`timed out after ${STEP_TIMEOUT_MS} ms waiting for ${description}`)),
  ]);
}

async function connect(baseUrl: string, replica: Replica): Promise<ClientSocket> {
  // WebSocket only: the upgrade request carries the cookie, so it reaches the pinned replica.
  const socket: ClientSocket = io(baseUrl, {
    transports: ['websocket'],
    extraHeaders: { cookie: replica.cookie },
    reconnection: false,
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }),
    `a Socket.IO connection to replica ${replica.slot}`,
  );
  return socket;
}

async function join(socket: ClientSocket, sessionId: string, role: 'camera' | 'viewer'): Promise<void> {
  const ack: JoinSessionAck = await withTimeout(socket.emitWithAck('join-session', { sessionId, role, name: `docker-test ${role}` }), `join-session as ${role}`);
  if (ack.status !== 'ok') fail(`join-session as ${role} failed: ${ack.error.code} ${ack.error.message}`);
}

async function createSession(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/sessions`, { method: 'POST' });
  if (response.status !== 201) fail(`POST /api/sessions returned ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { sessionId: string };
  return body.sessionId;
}

async function share(baseUrl: string): Promise<void> {
  const [cameraReplica, viewerReplica] = await findTwoReadyReplicas(baseUrl);
  await expectSticky(baseUrl, cameraReplica);
  await expectSticky(baseUrl, viewerReplica);

  const sessionId = await createSession(baseUrl);
  const viewer = await connect(baseUrl, viewerReplica);
  const camera = await connect(baseUrl, cameraReplica);

  try {
    await join(viewer, sessionId, 'viewer');

    // The viewer learns about the camera through fetchSockets() across replicas.
    const cameraPresent = new Promise<void>((resolve) => {
      viewer.on('presence', (event: PresenceEvent) => {
        if (event.members.some((member) => member.id === camera.id && member.role === 'camera')) resolve();
      });
    });
    const resultReceived = new Promise<ClassificationEvent>((resolve) => viewer.once('classification-result', resolve));

    await join(camera, sessionId, 'camera');
    await withTimeout(cameraPresent, 'the viewer to list the camera in its presence list');

    const photo = await readFile(CAT_PHOTO);
    const ack: FrameAck = await withTimeout(camera.emitWithAck('classify-frame', photo), 'the camera frame to be classified');
    if (ack.status !== 'ok') fail(`classify-frame failed: ${JSON.stringify(ack)}`);
    if (ack.result.verdict !== 'cat') fail(`expected verdict cat for ${CAT_PHOTO.pathname}, got ${ack.result.verdict}`);

    const event = await withTimeout(resultReceived, 'the viewer to receive the classification result');
    if (event.cameraId !== camera.id) fail(`the viewer received a result from camera ${event.cameraId}, expected ${camera.id}`);
    if (event.result.verdict !== 'cat') fail(`the viewer received verdict ${event.result.verdict}, expected cat`);

    log(`camera on ${cameraReplica.slot} classified a cat; viewer on ${viewerReplica.slot} received it`);
    process.stdout.write(`${sessionId}\n`);
  } finally {
    camera.disconnect();
    viewer.disconnect();
  }
}

async function history(baseUrl: string, sessionId: string): Promise<void> {
  const deadline = Date.now() + REPLICAS_READY_TIMEOUT_MS;
  let response = await fetch(`${baseUrl}/readyz`).catch(() => undefined);
  while (response?.status !== 200) {
    if (Date.now() > deadline) fail(`no replica passed GET /readyz through ${baseUrl} within ${REPLICAS_READY_TIMEOUT_MS} ms`);
    await delay(500);
    response = await fetch(`${baseUrl}/readyz`).catch(() => undefined);
  }

  const historyResponse = await fetch(`${baseUrl}/api/sessions/${sessionId}/history`);
  if (historyResponse.status !== 200) fail(`GET history of session ${sessionId} returned ${historyResponse.status}: ${await historyResponse.text()}`);
  const body = (await historyResponse.json()) as { entries: HistoryEntry[]; counts: SessionCounts };

  if (body.counts.cats < 1) fail(`expected at least one cat in the counts after the restart, got ${JSON.stringify(body.counts)}`);
  if (!body.entries.some((entry) => entry.verdict === 'cat')) fail(`expected a cat entry in the history after the restart, got ${JSON.stringify(body.entries)}`);
  log(`session ${sessionId} kept its history across docker compose down and up (${body.counts.frames} frames)`);
}

async function main(): Promise<void> {
  const [command, baseUrl, sessionId] = process.argv.slice(2);
  if (command === 'share' && baseUrl) return share(baseUrl);
  if (command === 'history' && baseUrl && sessionId) return history(baseUrl, sessionId);
  fail('usage: stack-check.ts share URL | stack-check.ts history URL SESSION_ID');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
