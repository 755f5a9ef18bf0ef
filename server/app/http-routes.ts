import type { IncomingMessage, ServerResponse } from 'node:http';

import { AppError, isExpectedError, toErrorPayload } from '../errors.js';
import { sessionPath } from '../protocol.js';
import { generateSessionId } from '../sessions/session-id.js';
import { AddressRateLimiter } from './address-rate-limiter.js';
import { parseSessionId } from './payloads.js';
import { readBody } from './read-body.js';
import { serveStatic } from './static-files.js';
import type { AppContext } from './types.js';
import { UploadLimiter } from './upload-limiter.js';

/** Retry-After value, in seconds, after ERR_SERVER_BUSY or ERR_RATE_LIMITED. */
const RETRY_AFTER_SECONDS = 1;

/** Names of the media types, for people, used when an upload has another type. */
const MEDIA_TYPE_NAMES: Readonly<Record<string, string>> = {
  'image/gif': 'GIF',
  'image/heic': 'HEIC',
  'image/heif': 'HEIF',
  'image/avif': 'AVIF',
  'image/bmp': 'BMP',
  'image/tiff': 'TIFF',
  'image/svg+xml': 'SVG',
};

/** Media types accepted by `POST /api/classify`. */
const IMAGE_MEDIA_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp']);

export interface HttpOptions {
  /** Directory of the built web client (dist/web). */
  staticDir: string;
  /** Extra readiness checks for `GET /readyz`, e.g. `{ redis: () => client.isReady }`. */
  readinessChecks: Readonly<Record<string, () => boolean>>;
}

type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

interface Route {
  readonly methods: readonly string[];
  readonly pattern: RegExp;
  readonly handler: Handler;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(text));
  response.setHeader('Cache-Control', 'no-store');
  response.end(text);
}

/**
 * Builds the HTTP request handler: health checks, the classify and session API, and the
 * web client. Socket.IO requests never reach it because the engine intercepts its path.
 */
export function createRequestHandler(context: AppContext, options: HttpOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const { config } = context;
  const uploads = new UploadLimiter(config.maxConcurrentUploads, config.uploadQueueLength);
  const sessionCreates = new AddressRateLimiter(config.sessionCreatesPerMinute);

  const routes: Route[] = [
    { methods: ['GET', 'HEAD'], pattern: /^\/healthz$/, handler: async (_request, response) => sendJson(response, 200, { status: 'ok' }) },
    { methods: ['GET', 'HEAD'], pattern: /^\/readyz$/, handler: async (_request, response) => sendReadiness(context, options, response) },
    { methods: ['POST'], pattern: /^\/api\/classify$/, handler: async (request, response) => classifyUpload(context, uploads, request, response) },
    {
      methods: ['POST'],
      pattern: /^\/api\/sessions$/,
      handler: async (request, response) => createSession(context, sessionCreates, request, response),
    },
    {
      methods: ['GET'],
      pattern: /^\/api\/sessions\/[^/]+\/history$/,
      handler: async (_request, response, url) => sendHistory(context, response, url),
    },
  ];

  return (request, response) => {
    void route(context, options, routes, request, response);
  };
}

async function route(context: AppContext, options: HttpOptions, routes: Route[], request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const url = new URL(request.url ?? '/', 'http://localhost');

  try {
    const matched = routes.find((candidate) => candidate.pattern.test(url.pathname));
    if (matched !== undefined) {
      if (!matched.methods.includes(method)) {
        response.setHeader('Allow', matched.methods.join(', '));
        throw new AppError('ERR_METHOD_NOT_ALLOWED', `method ${method} is not allowed on ${url.pathname}; use ${matched.methods.join(' or ')}`);
      }
      await matched.handler(request, response, url);
      return;
    }

    const isRead = method === 'GET' || method === 'HEAD';
    if (isRead && !url.pathname.startsWith('/api/') && (await serveStatic(request, response, options.staticDir, url.pathname))) return;

    throw new AppError('ERR_NOT_FOUND', `no route for ${method} ${url.pathname.slice(0, 200)}`);
  } catch (error) {
    sendError(context, request, response, url, error);
  }
}

function sendError(context: AppContext, request: IncomingMessage, response: ServerResponse, url: URL, error: unknown): void {
  const payload = toErrorPayload(error);
  const status = error instanceof AppError ? error.httpStatus : 500;
  const fields = { method: request.method, path: url.pathname, status, code: payload.code };

  // Only faults of this server get an error line with a stack. Busy and rate-limited
  // requests come in floods, so they are logged at debug.
  if (!isExpectedError(error)) {
    context.logger.error({ ...fields, err: error }, 'request failed');
  } else if (payload.code === 'ERR_SERVER_BUSY' || payload.code === 'ERR_RATE_LIMITED') {
    context.logger.debug(fields, 'request rejected');
  } else {
    context.logger.info(fields, 'request rejected');
  }

  if (response.headersSent) {
    response.destroy();
    return;
  }

  if (payload.code === 'ERR_SERVER_BUSY' || payload.code === 'ERR_RATE_LIMITED' || payload.code === 'ERR_SERVER_SHUTTING_DOWN') {
    response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  }

  // An oversized body may still be arriving, and closing the connection saves reading all of it.
  if (payload.code === 'ERR_IMAGE_TOO_LARGE') response.setHeader('Connection', 'close');
  sendJson(response, status, { error: payload });
}

function sendReadiness(context: AppContext, options: HttpOptions, response: ServerResponse): void {
  const checks: Record<string, boolean> = { model: context.pool.ready, accepting: !context.isClosing() };
  for (const [name, check] of Object.entries(options.readinessChecks)) checks[name] = check();

  const ready = Object.values(checks).every(Boolean);
  sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', checks });
}

function unsupportedMediaType(mediaType: string): AppError {
  const accepted = 'JPEG, PNG or WebP';
  const known = MEDIA_TYPE_NAMES[mediaType];
  let received = `${known} images are`;
  if (known === undefined) received = mediaType === '' ? 'a request without Content-Type is' : `Content-Type '${mediaType.slice(0, 80)}' is`;

  return new AppError(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    `${received} not supported: use ${accepted}, sent as the body with Content-Type ${[...IMAGE_MEDIA_TYPES].join(', ')}`,
  );
}

async function classifyUpload(context: AppContext, uploads: UploadLimiter, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (context.isClosing()) throw new AppError('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down; retry in a moment');

  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!IMAGE_MEDIA_TYPES.has(mediaType)) throw unsupportedMediaType(mediaType);
  if (!context.pool.ready) {
    throw new AppError('ERR_MODEL_NOT_READY', 'the model is still loading; retry when GET /readyz returns 200');
  }

  const { config } = context;
  const admission = uploads.tryAdmit();
  if (admission === null) {
    // The body is not read, so the connection cannot be reused for the next request.
    response.setHeader('Connection', 'close');
    throw new AppError(
      'ERR_SERVER_BUSY',
      `server busy: ${config.maxConcurrentUploads} uploads are being classified and ${config.uploadQueueLength} are waiting (CATDOG_MAX_UPLOADS, CATDOG_UPLOAD_QUEUE); retry after the Retry-After delay`,
    );
  }

  try {
    const body = await readBody(request, config.maxImageBytes);
    if (body.byteLength === 0) throw new AppError('ERR_IMAGE_EMPTY', 'image rejected: the request body is empty');

    await admission.acquireSlot();
    const { result } = await context.pool.classify(body);
    sendJson(response, 200, result);
  } finally {
    admission.release();
  }
}

async function createSession(context: AppContext, limiter: AddressRateLimiter, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (context.isClosing()) throw new AppError('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down; retry in a moment');

  // NOTE: behind a reverse proxy every client shares the proxy's address and so one limit.
  const address = request.socket.remoteAddress ?? 'unknown';
  if (!limiter.tryTake(address)) {
    throw new AppError(
      'ERR_RATE_LIMITED',
      `too many sessions created: more than ${context.config.sessionCreatesPerMinute} per minute from this address (CATDOG_SESSION_CREATES_PER_MINUTE); reuse a session or retry later`,
    );
  }

  const sessionId = generateSessionId();
  await context.store.create(sessionId);

  context.logger.info({ sessionId }, 'session created');
  response.setHeader('Location', sessionPath(sessionId));
  sendJson(response, 201, { sessionId, path: sessionPath(sessionId) });
}

async function sendHistory(context: AppContext, response: ServerResponse, url: URL): Promise<void> {
  const sessionId = parseSessionId(url.pathname.split('/')[3] ?? '');
  if (!(await context.store.exists(sessionId))) {
    throw new AppError('ERR_SESSION_NOT_FOUND', `session ${sessionId} not found: it never existed or expired`);
  }

  const rawLimit = url.searchParams.get('limit');
  const limit = rawLimit === null ? context.config.historyLength : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 0) {
    throw new AppError('ERR_INVALID_PAYLOAD', `invalid limit '${rawLimit}': expected an integer >= 0`);
  }

  const history = await context.store.history(sessionId, Math.min(limit, context.config.historyLength));
  sendJson(response, 200, { sessionId, ...history });
}
