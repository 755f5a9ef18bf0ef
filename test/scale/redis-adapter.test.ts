import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { createRedisAdapter } from '../../server/redis/adapter.js';
import { RedisConnection } from '../../server/redis/connection.js';
import { RedisServerProcess } from '../support/redis-server.js';
import { createCapturingLogger, LOG_LEVEL, recordsStartingWith, type LogRecord } from './log-capture.js';

// Two Socket.IO servers in this process act as two replicas: each has its own
// Redis connections and adapter, exactly as a replica process has. The replica tests in
// this folder cover the same paths with real processes and the real app.

interface ShoutEvents {
  shout: (text: string) => void;
}
interface NodeData {
  node: string;
}

interface Node {
  name: string;
  io: Server<ShoutEvents, ShoutEvents, Record<string, never>, NodeData>;
  http: HttpServer;
  redis: RedisConnection;
  records: LogRecord[];
  url: string;
}

const ROOM = 'session-room';

async function startNode(name: string, redisUrl: string): Promise<Node> {
  const { logger, records } = createCapturingLogger();
  const redis = RedisConnection.open(redisUrl, logger);
  expect(await redis.waitUntilReady(10_000)).toBe(true);

  const http = createServer();
  const io = new Server<ShoutEvents, ShoutEvents, Record<string, never>, NodeData>(http, {
    adapter: createRedisAdapter(redis, logger),
  });

  // Every client joins one room; a shout from any client goes to the whole room.
  io.on('connection', (socket) => {
    socket.data.node = name;
    void socket.join(ROOM);
    socket.on('shout', (text) => io.to(ROOM).emit('shout', text));
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { name, io, http, redis, records, url: `http://127.0.0.1:${port}` };
}

async function stopNode(node: Node): Promise<void> {
  await node.io.close();
  await node.redis.close();
}

const clients: ClientSocket[] = [];

async function connect(node: Node): Promise<{ socket: ClientSocket; received: string[] }> {
  const socket = connectClient(node.url, { transports: ['websocket'], reconnection: false });
  clients.push(socket);
  const received: string[] = [];
  socket.on('shout', (text: string) => received.push(text));

  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  // The join happens in the server's connection handler; wait until both nodes see it.
  await vi.waitFor(async () => {
    const sockets = await node.io.in(ROOM).local.fetchSockets();
    expect(sockets.map((remote) => remote.id)).toContain(socket.id);
  });
  return { socket, received };
}

describe('redis adapter between two servers', () => {
  let redis: RedisServerProcess;
  let nodeA: Node;
  let nodeB: Node;

  beforeAll(async () => {
    redis = await RedisServerProcess.start();
    nodeA = await startNode('a', redis.url);
    nodeB = await startNode('b', redis.url);
  });

  afterEach(() => {
    for (const socket of clients.splice(0)) socket.disconnect();
  });

  afterAll(async () => {
    await Promise.allSettled([nodeA && stopNode(nodeA), nodeB && stopNode(nodeB)]);
    await redis?.close();
  });

  it('broadcasts to clients on the other server', async () => {
    const sender = await connect(nodeA);
    const receiver = await connect(nodeB);

    sender.socket.emit('shout', 'hello from a');

    await vi.waitFor(() => expect(receiver.received).toContain('hello from a'));
    await vi.waitFor(() => expect(sender.received).toContain('hello from a'));
  });

  it('fetches sockets and their data from both servers', async () => {
    const onA = await connect(nodeA);
    const onB = await connect(nodeB);

    const sockets = await nodeA.io.in(ROOM).fetchSockets();
    const nodeById = new Map(sockets.map((socket) => [socket.id, socket.data.node]));

    expect(nodeById.get(onA.socket.id!)).toBe('a');
    expect(nodeById.get(onB.socket.id!)).toBe('b');
  });

  it('serves local clients while redis is down and resumes fan-out within 5 s', async () => {
    const senderOnA = await connect(nodeA);
    const neighbourOnA = await connect(nodeA);
    const receiverOnB = await connect(nodeB);
    const outageLinesBefore = recordsStartingWith(nodeA.records, 'redis connection lost').length;

    await redis.stop();
    await vi.waitFor(() => {
      expect(nodeA.redis.ready).toBe(false);
      expect(nodeB.redis.ready).toBe(false);
    });

    // Local delivery needs no Redis; the copy for node b is dropped, not queued.
    senderOnA.socket.emit('shout', 'during outage');
    await vi.waitFor(() => expect(neighbourOnA.received).toContain('during outage'));

    // Let several reconnection attempts fail, then check the outage was logged once.
    await vi.waitFor(
      () => {
        const attempts = nodeA.records.filter((record) => record.msg === 'redis client error').length;
        expect(attempts).toBeGreaterThanOrEqual(4);
      },
      { timeout: 10_000, interval: 100 },
    );
    const outageLines = recordsStartingWith(nodeA.records, 'redis connection lost');
    expect(outageLines.length - outageLinesBefore).toBe(1);
    expect(outageLines.at(-1)?.level).toBe(LOG_LEVEL.warn);

    await redis.restart();
    const restartedAt = Date.now();

    let sequence = 0;
    await vi.waitFor(
      () => {
        sequence += 1;
        senderOnA.socket.emit('shout', `after restart ${sequence}`);
        expect(receiverOnB.received.some((text) => text.startsWith('after restart'))).toBe(true);
      },
      { timeout: 5000, interval: 100 },
    );
    const resumedAfterMs = Date.now() - restartedAt;

    expect(resumedAfterMs).toBeLessThan(5000);
    expect(receiverOnB.received).not.toContain('during outage');
    expect(nodeA.redis.ready).toBe(true);
    const restoredOnA = recordsStartingWith(nodeA.records, 'redis connection restored');
    expect(restoredOnA).toHaveLength(1);
    expect(restoredOnA[0]?.droppedPublishes).toBeGreaterThanOrEqual(1);
    expect(recordsStartingWith(nodeB.records, 'redis connection restored')).toHaveLength(1);
  });

  it('resumes fan-out from the other direction after an outage', async () => {
    // Subscriptions of node a must be back too, not only its publishing connection.
    const senderOnB = await connect(nodeB);
    const receiverOnA = await connect(nodeA);

    senderOnB.socket.emit('shout', 'hello from b');

    await vi.waitFor(() => expect(receiverOnA.received).toContain('hello from b'));
  });
});
