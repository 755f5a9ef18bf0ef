import { availableParallelism } from 'node:os';

import { ConfigError } from './errors.js';

/** Inference backend names accepted by CATDOG_BACKEND. `auto` tries node, then wasm. */
export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';

export interface ThresholdConfig {
  /** Minimum detection score for a cat or dog box to count towards the verdict. */
  readonly petScore: number;
  /** Minimum detection score for another COCO label to be reported as seen. */
  readonly otherScore: number;
}

export interface ResolvedConfig {
  /** TCP port for HTTP and Socket.IO. @default 4000 */
  readonly port: number;
  /** Interface to listen on. @default '0.0.0.0' */
  readonly host: string;
  readonly logLevel: string;

  /** Requested inference backend. @default 'auto' */
  readonly backend: BackendChoice;
  /** Inference worker threads. @default the number of cores */
  readonly workers: number;
  /** Largest accepted image or frame, in bytes. @default 2 MiB */
  readonly maxImageBytes: number;
  /** Largest accepted decoded image, in pixels (width * height); guards against decompression bombs. @default 40 MP */
  readonly maxImagePixels: number;
  /** Smallest accepted side, in pixels. @default 16 */
  readonly minImageSide: number;
  readonly thresholds: ThresholdConfig;
  /** Maximum time one inference job may run in a worker before the worker is replaced and the job fails, in ms. @default 30000 */
  readonly inferenceTimeoutMs: number;

  /** Frames per second accepted from one camera; faster frames are rejected. @default 15 */
  readonly maxFramesPerSecond: number;
  /** Long side of the thumbnail sent to viewers with each result, in pixels. @default 320 */
  readonly thumbnailMaxSide: number;
  /** Minimum time between two thumbnails from one camera, in ms. @default 500 */
  readonly thumbnailIntervalMs: number;

  /** Redis connection URL; undefined runs one replica with the in-memory adapter. */
  readonly redisUrl: string | undefined;
  /** Results kept per session in Redis. @default 1000 */
  readonly historyLength: number;
  /** Idle time after which a session's history expires, in seconds. @default 86400 (24 h) */
  readonly sessionTtlSeconds: number;

  /** `POST /api/classify` uploads classified at the same time. @default the number of workers */
  readonly maxConcurrentUploads: number;
  /** Uploads that may wait for a free slot; later ones get 503 ERR_SERVER_BUSY. @default 2 times the number of workers */
  readonly uploadQueueLength: number;
  /** Tabs (cameras and viewers) in one session on one replica; later joins get ERR_SESSION_FULL. @default 50 */
  readonly maxSessionMembers: number;
  /** Minimum time between two member-list broadcasts to one session, in ms. @default 250 */
  readonly presenceIntervalMs: number;
  /** Sessions kept by the in-memory store; creation beyond this gets ERR_SERVER_BUSY. @default 10000 */
  readonly maxSessions: number;
  /** Sessions one client address may create per minute, after a burst of the same size. @default 10 */
  readonly sessionCreatesPerMinute: number;
  /** Time allowed to receive a whole HTTP request, headers and body, in ms. @default 30000 */
  readonly httpRequestTimeoutMs: number;
}

const MiB = 1024 * 1024;

export const configDefaults = Object.freeze({
  port: 4000,
  host: '0.0.0.0',
  logLevel: 'info',
  backend: 'auto',
  maxImageBytes: 2 * MiB,
  maxImagePixels: 40_000_000, // about 7300 x 5500, well above any webcam or phone photo
  minImageSide: 16,
  // petScore: measured on the training photos, see docs/thresholds.md (scripts/tune-thresholds.ts).
  thresholds: Object.freeze({ petScore: 0.15, otherScore: 0.3 }),
  inferenceTimeoutMs: 30_000, // about 150 wasm inferences; only a stuck worker takes this long
  maxFramesPerSecond: 15,
  thumbnailMaxSide: 320,
  thumbnailIntervalMs: 500,
  historyLength: 1000,
  sessionTtlSeconds: 24 * 60 * 60,
  maxSessionMembers: 50,
  presenceIntervalMs: 250,
  maxSessions: 10_000, // at the default history length, roughly tens of MB when every session is full
  sessionCreatesPerMinute: 10,
  httpRequestTimeoutMs: 30_000, // a 2 MiB upload over a slow 1 Mbit/s link takes about 17 s
} as const);

type Env = Readonly<Record<string, string | undefined>>;

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;

  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function readFraction(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;

  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new ConfigError(`${name} must be a number between 0 and 1 (exclusive), got '${raw}'`);
  }
  return value;
}

function readBackend(env: Env): BackendChoice {
  const raw = env.CATDOG_BACKEND;
  if (raw === undefined || raw === '') return configDefaults.backend;

  const choices: readonly BackendChoice[] = ['auto', 'node', 'wasm', 'cpu'];
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`CATDOG_BACKEND must be one of ${choices.join(', ')}, got '${raw}'`);
  }
  return raw as BackendChoice;
}

/** Builds the Redis URL from REDIS_URL, or from REDIS_HOST and REDIS_PORT. */
function readRedisUrl(env: Env): string | undefined {
  if (env.REDIS_URL) return env.REDIS_URL;
  if (!env.REDIS_HOST) return undefined;

  const port = readInteger(env, 'REDIS_PORT', 6379, 1, 65535);
  return `redis://${env.REDIS_HOST}:${port}`;
}

/**
 * Resolves the service configuration from environment variables. This is the only place
 * that reads the environment; everything else receives the frozen result.
 *
 * @throws ConfigError when a variable is set to an invalid value.
 * @example
 * const config = resolveConfig(process.env);
 */
export function resolveConfig(env: Env = process.env): ResolvedConfig {
  const workers = readInteger(env, 'CATDOG_WORKERS', availableParallelism(), 1, 64);
  const config: ResolvedConfig = {
    port: readInteger(env, 'PORT', configDefaults.port, 0, 65535),
    host: env.HOST || configDefaults.host,
    logLevel: env.LOG_LEVEL || configDefaults.logLevel,

    backend: readBackend(env),
    workers,
    maxImageBytes: readInteger(env, 'CATDOG_MAX_IMAGE_BYTES', configDefaults.maxImageBytes, 1024, 64 * MiB),
    maxImagePixels: readInteger(env, 'CATDOG_MAX_IMAGE_PIXELS', configDefaults.maxImagePixels, 1024, 1_000_000_000),
    minImageSide: configDefaults.minImageSide,
    thresholds: Object.freeze({
      petScore: readFraction(env, 'CATDOG_PET_SCORE', configDefaults.thresholds.petScore),
      otherScore: readFraction(env, 'CATDOG_OTHER_SCORE', configDefaults.thresholds.otherScore),
    }),

    inferenceTimeoutMs: readInteger(env, 'CATDOG_INFERENCE_TIMEOUT_MS', configDefaults.inferenceTimeoutMs, 1_000, 600_000),

    maxFramesPerSecond: readInteger(env, 'CATDOG_MAX_FPS', configDefaults.maxFramesPerSecond, 1, 120),
    thumbnailMaxSide: readInteger(env, 'CATDOG_THUMBNAIL_SIDE', configDefaults.thumbnailMaxSide, 32, 320),
    thumbnailIntervalMs: readInteger(env, 'CATDOG_THUMBNAIL_INTERVAL_MS', configDefaults.thumbnailIntervalMs, 0, 60_000),

    redisUrl: readRedisUrl(env),
    historyLength: readInteger(env, 'CATDOG_HISTORY_LENGTH', configDefaults.historyLength, 1, 100_000),
    sessionTtlSeconds: readInteger(env, 'CATDOG_SESSION_TTL_SECONDS', configDefaults.sessionTtlSeconds, 60, 365 * 24 * 60 * 60),

    maxConcurrentUploads: readInteger(env, 'CATDOG_MAX_UPLOADS', workers, 1, 1024),
    uploadQueueLength: readInteger(env, 'CATDOG_UPLOAD_QUEUE', 2 * workers, 0, 10_000),
    maxSessionMembers: readInteger(env, 'CATDOG_MAX_SESSION_MEMBERS', configDefaults.maxSessionMembers, 1, 10_000),
    presenceIntervalMs: readInteger(env, 'CATDOG_PRESENCE_INTERVAL_MS', configDefaults.presenceIntervalMs, 0, 10_000),
    maxSessions: readInteger(env, 'CATDOG_MAX_SESSIONS', configDefaults.maxSessions, 1, 10_000_000),
    sessionCreatesPerMinute: readInteger(env, 'CATDOG_SESSION_CREATES_PER_MINUTE', configDefaults.sessionCreatesPerMinute, 1, 100_000),
    httpRequestTimeoutMs: readInteger(env, 'CATDOG_HTTP_REQUEST_TIMEOUT_MS', configDefaults.httpRequestTimeoutMs, 1_000, 600_000),
  };
  return Object.freeze(config);
}
