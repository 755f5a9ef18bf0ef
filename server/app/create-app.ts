import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

import { Server, type ServerOptions } from 'socket.io';

import type { ResolvedConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { SessionStore } from '../sessions/store.js';
import { createRequestHandler } from './http-routes.js';
import { PresenceBroadcaster } from './presence.js';
import { handleConnection, type CameraRegistry, type ConnectionShared } from './socket-handlers.js';
import type { AppContext, AppServer, FrameClassifier } from './types.js';

export interface AppDeps {
  /** Inference pool, which the app uses but does not close. */
  pool: FrameClassifier;
  /** Session storage, which the app uses but does not close. */
  store: SessionStore;
  /** Socket.IO adapter, e.g. `createAdapter(pub, sub)` from @socket.io/redis-adapter. @default the in-memory adapter */
  adapter?: ServerOptions['adapter'];
  /** Extra readiness checks for `GET /readyz`, each returning true when ready, e.g. `{ redis: () => client.isReady }`. */
  readinessChecks?: Readonly<Record<string, () => boolean>>;
  /** Directory of the built web client. @default dist/web of this package */
  staticDir?: string;
}

export interface App {
  readonly httpServer: HttpServer;
  readonly io: AppServer;
  /** The port actually bound, useful with config.port 0. */
  readonly port: number;
  /**
   * Stops the app: rejects new work, finishes the frames being classified (up to
   * DRAIN_TIMEOUT_MS), disconnects every socket and closes the HTTP server. Safe to
   * call twice, because later calls return the first call's promise.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Time given to frames already being classified when the app closes, in ms. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Time given to open HTTP requests after the sockets are closed, in ms. */
const HTTP_CLOSE_TIMEOUT_MS = 5_000;

/**
 * Headroom over config.maxImageBytes for the largest Socket.IO message. A frame up to
 * twice the image limit still reaches the handler, which rejects it with
 * ERR_IMAGE_TOO_LARGE. Only larger messages close the connection. The factor of two
 * also covers HTTP long-polling, which sends binary as base64 (4/3 of the size).
 */
const MESSAGE_SIZE_FACTOR = 2;

/** Node's default time for receiving request headers, in ms. */
const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;

/** How often Node checks request and header timeouts, in ms; its default is 30 s. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/**
 * Creates the HTTP server and Socket.IO endpoint and starts listening on config.port
 * (0 picks a free port).
 *
 * @example
 * const app = await createApp(config, logger, { pool, store });
 * console.log(`listening on ${app.port}`);
 * await app.close();
 */
export async function createApp(config: ResolvedConfig, logger: Logger, deps: AppDeps): Promise<App> {
  let closing: Promise<void> | null = null;
  const context: AppContext = { config, logger, pool: deps.pool, store: deps.store, isClosing: () => closing !== null };
  const cameras: CameraRegistry = new Set();

  // A stalled upload keeps a connection and an upload admission, so it is cut off early.
  // Node checks these timeouts every connectionsCheckingInterval, so that interval bounds
  // how late the cut comes. Socket.IO's WebSocket connections are not HTTP requests once
  // upgraded, and its long-polling requests finish well within the timeout.
  const httpServer = createServer(
    {
      requestTimeout: config.httpRequestTimeoutMs,
      headersTimeout: Math.min(config.httpRequestTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS),
      connectionsCheckingInterval: Math.min(config.httpRequestTimeoutMs, TIMEOUT_CHECK_INTERVAL_MS),
    },
    createRequestHandler(context, {
      staticDir: deps.staticDir ?? DEFAULT_STATIC_DIR,
      readinessChecks: deps.readinessChecks ?? {},
    }),
  );

  const io: AppServer = new Server(httpServer, {
    maxHttpBufferSize: config.maxImageBytes * MESSAGE_SIZE_FACTOR,
    serveClient: false,
    ...(deps.adapter === undefined ? {} : { adapter: deps.adapter }),
  });
  const shared: ConnectionShared = { cameras, presence: new PresenceBroadcaster(context, io) };
  io.on('connection', (socket) => handleConnection(context, io, shared, socket));

  const port = await listen(httpServer, config.port, config.host);
  logger.info({ port, host: config.host, adapter: deps.adapter === undefined ? 'in-memory' : 'custom' }, 'server listening');

  const close = (): Promise<void> => {
    closing ??= shutDown(context, io, httpServer, shared);
    return closing;
  };

  return { httpServer, io, port, close, [Symbol.asyncDispose]: close };
}

function listen(httpServer: HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve((httpServer.address() as AddressInfo).port);
    });
  });
}

async function shutDown(context: AppContext, io: AppServer, httpServer: HttpServer, shared: ConnectionShared): Promise<void> {
  const { logger } = context;
  const { cameras, presence } = shared;
  logger.info({ cameras: cameras.size }, 'server closing');
  presence.close();

  // Waiting frames are rejected now. Frames being classified get their result if it comes
  // in time, and then each camera is disconnected so that it reconnects instead of
  // sending frames that would only be rejected.
  const error = { code: 'ERR_SERVER_SHUTTING_DOWN', message: 'frame dropped: the server is shutting down and closes this connection' } as const;
  const drained = Promise.allSettled([...cameras].map((camera) => camera.close(error).then(() => camera.disconnect())));
  const drainTimer = delay(DRAIN_TIMEOUT_MS);
  await Promise.race([drained, drainTimer.promise]);
  drainTimer.cancel();

  // io.close() disconnects every socket, closes the adapter and then the HTTP server,
  // which waits for open requests. The timer cuts off requests that take too long.
  const forceTimer = setTimeout(() => httpServer.closeAllConnections(), HTTP_CLOSE_TIMEOUT_MS);
  forceTimer.unref();
  httpServer.closeIdleConnections();
  await io.close();
  clearTimeout(forceTimer);

  logger.info('server closed');
}

function delay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
