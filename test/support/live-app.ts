import { io as connect, type Socket } from 'socket.io-client';

import { createApp, type App } from '../../server/app/index.js';
import { ClassifierPool } from '../../server/classifier/pool.js';
import { resolveConfig, type ResolvedConfig } from '../../server/config.js';
import { createLogger, type Logger } from '../../server/logger.js';
import type {
  BinaryData,
  ClientToServerEvents,
  FrameAck,
  JoinSessionAck,
  JoinSessionOk,
  Role,
  ServerToClientEvents,
} from '../../server/protocol.js';
import { MemorySessionStore } from '../../server/sessions/memory-store.js';

export type TestClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Resolves test settings: one worker, port 0 on loopback, quiet logs, plus `env`. */
export function testConfig(env: Record<string, string> = {}): ResolvedConfig {
  return resolveConfig({ PORT: '0', HOST: '127.0.0.1', CATDOG_WORKERS: '1', LOG_LEVEL: 'silent', ...env });
}

/** Loads the real model, once per test file because the pool is slow to start and keeps no state between tests. */
export async function createTestPool(config: ResolvedConfig, logger: Logger = createLogger('silent')): Promise<ClassifierPool> {
  return ClassifierPool.create(config, logger);
}

/**
 * One app on a free port with a fresh in-memory store, and every client it connects,
 * all closed by `close()`.
 */
export class LiveApp {
  readonly app: App;
  readonly store: MemorySessionStore;
  readonly url: string;
  readonly #clients = new Set<TestClient>();

  private constructor(app: App, store: MemorySessionStore) {
    this.app = app;
    this.store = store;
    this.url = `http://127.0.0.1:${app.port}`;
  }

  static async start(config: ResolvedConfig, pool: ClassifierPool, logger: Logger = createLogger('silent')): Promise<LiveApp> {
    const store = new MemorySessionStore({ historyLength: config.historyLength, sessionTtlSeconds: config.sessionTtlSeconds });
    const app = await createApp(config, logger, { pool, store });
    return new LiveApp(app, store);
  }

  /** Creates a session through the HTTP API and returns its id. */
  async createSession(): Promise<string> {
    const response = await fetch(`${this.url}/api/sessions`, { method: 'POST' });
    if (response.status !== 201) throw new Error(`POST /api/sessions returned ${response.status}`);
    const body = (await response.json()) as { sessionId: string };
    return body.sessionId;
  }

  /** Connects a client over WebSocket and waits for the connection. */
  async connect(): Promise<TestClient> {
    const client: TestClient = connect(this.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    this.#clients.add(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('connect_error', reject);
    });
    return client;
  }

  /** Connects a client and joins `sessionId`, or throws when the join is rejected. */
  async join(sessionId: string, role: Role, name?: string): Promise<{ client: TestClient; joined: JoinSessionOk }> {
    const client = await this.connect();
    const ack = await joinSession(client, { sessionId, role, ...(name === undefined ? {} : { name }) });
    if (ack.status !== 'ok') throw new Error(`join-session failed: ${ack.error.code} ${ack.error.message}`);
    return { client, joined: ack };
  }

  async close(): Promise<void> {
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
    await this.app.close();
    await this.store.close();
  }
}

export function joinSession(client: TestClient, request: Parameters<ClientToServerEvents['join-session']>[0]): Promise<JoinSessionAck> {
  return client.timeout(10_000).emitWithAck('join-session', request);
}

export function sendFrame(client: TestClient, frame: BinaryData): Promise<FrameAck> {
  return client.timeout(60_000).emitWithAck('classify-frame', frame);
}

/** Resolves with the next `event` the client receives that passes `accept`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  client: TestClient,
  event: E,
  accept: (...args: Parameters<ServerToClientEvents[E]>) => boolean = () => true,
): Promise<Parameters<ServerToClientEvents[E]>> {
  return new Promise((resolve) => {
    const listener = ((...args: Parameters<ServerToClientEvents[E]>) => {
      if (!accept(...args)) return;
      client.off(event, listener as never);
      resolve(args);
    }) as never;
    client.on(event, listener);
  });
}
