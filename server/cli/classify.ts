/**
 * Entry point of `npm run classify -- [--json] FILE...`: classifies image files with the
 * same worker pool as the server and prints one line per file, in argument order. Exit
 * code 0 when every file was classified, 1 when any failed, 2 for a usage or start-up error.
 */
import { stat, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { pino } from 'pino';

import { configDefaults, resolveConfig, type ResolvedConfig } from '../config.js';
import { AppError, ConfigError, toErrorPayload } from '../errors.js';
import { checkImageBytes } from '../classifier/limits.js';
import { ClassifierPool } from '../classifier/pool.js';
import { formatJson, formatText, type FileError, type FileOutcome } from './format.js';

const EXIT_OK = 0;
const EXIT_SOME_FAILED = 1;
const EXIT_USAGE = 2;

const USAGE = `Usage: npm run classify -- [--json] FILE...

Classifies each JPEG, PNG or WebP file as cat, dog, cat-and-dog or neither and prints
one line per file. A file that cannot be classified gets an error line; the others
still run.

Options:
  --json      print one JSON object per line: file, verdict, confidence, detections,
              others, image, timings, model, backend (or file and error);
              timings are in ms: workerMs is the worker's own time, queueMs
              the wait for an idle worker, totalMs from queuing to result
  -h, --help  print this help

Settings come from the same environment variables as the server, for example
CATDOG_BACKEND (auto, node, wasm, cpu), CATDOG_WORKERS, CATDOG_PET_SCORE and
CATDOG_MAX_IMAGE_BYTES. Logs go to stderr: warnings and errors unless LOG_LEVEL is
set to debug or trace.
`;

function fail(message: string): never {
  process.stderr.write(`classify: ${message}\n`);
  process.exit(EXIT_USAGE);
}

function parseCommandLine(): { json: boolean; files: string[] } {
  try {
    const { values, positionals } = parseArgs({
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(EXIT_OK);
    }
    if (positionals.length === 0) fail(`no files given\n\n${USAGE}`);
    return { json: values.json, files: positionals };
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
}

function loadConfig(fileCount: number): ResolvedConfig {
  let config: ResolvedConfig;
  try {
    // The CLI is configured like the server, through the environment.
    config = resolveConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  }
  // More workers than files would only load the model for nothing.
  return Object.freeze({ ...config, workers: Math.min(config.workers, fileCount) });
}

function fileError(error: unknown, file: string): FileError {
  if (error instanceof AppError) return error.toPayload();

  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { code: 'ERR_FILE_NOT_FOUND', message: `file not found: ${file}` };
  if (code === 'EISDIR') return { code: 'ERR_FILE_UNREADABLE', message: `${file} is a directory; pass image files` };
  if (code === 'EACCES') return { code: 'ERR_FILE_UNREADABLE', message: `permission denied reading ${file}` };
  return toErrorPayload(error);
}

async function classifyFile(pool: ClassifierPool, config: ResolvedConfig, file: string): Promise<FileOutcome> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return { file, error: { code: 'ERR_FILE_UNREADABLE', message: `${file} is a directory; pass image files` } };
    // Checked before reading, so a huge file is never loaded into memory.
    checkImageBytes(info.size, config);

    const { result } = await pool.classify(await readFile(file));
    return { file, result };
  } catch (error) {
    return { file, error: fileError(error, file) };
  }
}

async function main(): Promise<void> {
  const { json, files } = parseCommandLine();
  const config = loadConfig(files.length);
  // The server's default level, info, would print start-up lines on every run. The CLI
  // only logs warnings and errors unless LOG_LEVEL requests debug or trace.
  const level = config.logLevel === configDefaults.logLevel ? 'warn' : config.logLevel;
  const logger = pino({ name: 'classify', level }, pino.destination(2));

  let pool: ClassifierPool;
  try {
    pool = await ClassifierPool.create(config, logger);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }

  // Every file is queued at once; lines are printed in argument order as soon as each
  // file and all those before it are done.
  const outcomes = files.map((file) => classifyFile(pool, config, file));
  let failed = 0;
  for (const pending of outcomes) {
    const outcome = await pending;
    if ('error' in outcome) failed++;
    process.stdout.write(`${json ? formatJson(outcome) : formatText(outcome)}\n`);
  }

  await pool.close();
  process.exitCode = failed > 0 ? EXIT_SOME_FAILED : EXIT_OK;
}

await main();
