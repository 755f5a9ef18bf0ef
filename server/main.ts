/**
 * Entry point of `npm start`: resolves the configuration, starts listening at once (so
 * `GET /healthz` responds while the model loads), loads the classifier pool, and shuts
 * down gracefully on SIGTERM or SIGINT.
 */
import { createApp, type App } from './app/index.js';
import { DeferredClassifier } from './app/deferred-classifier.js';
import { ClassifierPool } from './classifier/pool.js';
import { ConfigError } from './errors.js';
import { resolveConfig, type ResolvedConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openStorage, type Storage } from './storage.js';

/** Exit code after a failed start or a shutdown with errors. */
const EXIT_FAILURE = 1;

function loadConfig(): ResolvedConfig {
  try {
    return resolveConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`catdog-live: invalid configuration: ${error.message}\n`);
    process.exit(EXIT_FAILURE);
  }
}

/** Closes everything in order: first the app (which finishes in-flight frames), then the pool and the storage. */
async function closeAll(logger: Logger, app: App, classifier: { pool: ClassifierPool | null }, storage: Storage): Promise<boolean> {
  const steps: Array<[string, () => Promise<void>]> = [
    ['app', () => app.close()],
    ['classifier pool', async () => classifier.pool?.close()],
    ['storage', () => storage.close()],
  ];

  let clean = true;
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      clean = false;
      logger.error({ err: error, step: name }, 'shutdown step failed');
    }
  }
  return clean;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);

  const storage = openStorage(config, logger);
  const classifier = new DeferredClassifier();
  let app: App;
  try {
    app = await createApp(config, logger, {
      pool: classifier,
      store: storage.store,
      readinessChecks: storage.readinessChecks,
      ...(storage.adapter === undefined ? {} : { adapter: storage.adapter }),
    });
  } catch (error) {
    await storage.close().catch(() => undefined);
    if (!isAddressInUse(error)) throw error;
    process.stderr.write(`catdog-live: port ${config.port} is already in use; set PORT to a free port\n`);
    process.exit(EXIT_FAILURE);
  }
  const loaded: { pool: ClassifierPool | null } = { pool: null };

  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const clean = await closeAll(logger, app, loaded, storage);
      logger.info({ clean }, 'shutdown complete');
      process.exit(clean ? 0 : EXIT_FAILURE);
    })();
    return stopping;
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      // A second signal means the operator does not want to wait for the graceful path.
      if (stopping !== null) {
        logger.warn({ signal }, 'second signal during shutdown, exiting now');
        process.exit(EXIT_FAILURE);
      }
      void stop(signal);
    });
  }

  try {
    loaded.pool = await ClassifierPool.create(config, logger);
  } catch (error) {
    // A failed start is not a shutdown: close quietly and report only the cause.
    logger.fatal({ err: error }, 'start-up failed: the classifier did not load; check CATDOG_BACKEND, or run `npm run fetch-model` if the model files are missing');
    stopping = Promise.resolve();
    await closeAll(logger, app, loaded, storage);
    process.exit(EXIT_FAILURE);
  }

  // A signal may have arrived while the model was loading.
  if (stopping !== null) {
    await loaded.pool.close();
    return;
  }
  classifier.resolve(loaded.pool);
  logger.info({ backend: loaded.pool.backend, workers: loaded.pool.size, port: app.port }, 'ready');
}

function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
}

main().catch((error: unknown) => {
  process.stderr.write(`catdog-live: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(EXIT_FAILURE);
});
