/**
 * Benchmarks the classifier and writes docs/benchmarks.md: `npm run bench` (after a build)
 * or `npx tsx scripts/bench.ts [--frames N] [--cpu-frames N] [--out FILE]`.
 *
 * Frames are the test photos re-encoded as 640x480 JPEGs (quality 80), like webcam frames.
 * Each setup is warmed up first, then classifies every frame; pools receive all frames at
 * once so every worker stays busy. The baseline is the same engine on the calling thread,
 * one frame at a time, as a server without worker threads would run it.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import sharp from 'sharp';

import { resolveConfig, type ResolvedConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { ClassificationEngine } from '../server/classifier/engine.js';
import { findModelsDir } from '../server/classifier/model-files.js';
import { ClassifierPool } from '../server/classifier/pool.js';
import type { Timings } from '../server/classifier/types.js';
import { formatReport, type MachineInfo, type SetupResult } from './bench-report.js';

const WEBCAM_WIDTH = 640;
const WEBCAM_HEIGHT = 480;

async function makeFrames(count: number, repoRoot: string): Promise<Buffer[]> {
  const photos: string[] = [];
  for (const photoClass of ['cat', 'dog', 'neither']) {
    const dir = join(repoRoot, 'test', 'fixtures', photoClass);
    photos.push(...(await readdir(dir)).filter((name) => name.endsWith('.jpg')).sort().map((name) => join(dir, name)));
  }
  if (photos.length === 0) throw new Error(`no test photos found under ${join(repoRoot, 'test', 'fixtures')}`);

  const frames: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    const photo = await readFile(photos[index % photos.length] as string);
    frames.push(await sharp(photo).resize(WEBCAM_WIDTH, WEBCAM_HEIGHT, { fit: 'cover' }).jpeg({ quality: 80 }).toBuffer());
  }
  return frames;
}

/** Runs `classify` on every frame, all at once when `concurrent`, and collects timings. */
async function measure(name: string, workers: number, frames: readonly Buffer[], concurrent: boolean, classify: (frame: Buffer) => Promise<Timings>): Promise<SetupResult> {
  await classify(frames[0] as Buffer); // warm-up outside the measurement

  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const started = performance.now();
  let timings: Timings[];
  if (concurrent) {
    timings = await Promise.all(frames.map((frame) => classify(frame)));
  } else {
    timings = [];
    for (const frame of frames) timings.push(await classify(frame));
  }
  const wallMs = performance.now() - started;
  delay.disable();

  return {
    name,
    workers,
    frames: frames.length,
    decodeMs: timings.map((timing) => timing.decodeMs),
    inferenceMs: timings.map((timing) => timing.inferenceMs),
    framesPerSecond: (frames.length * 1000) / wallMs,
    eventLoopP99Ms: delay.percentile(99) / 1e6,
  };
}

async function measurePool(name: string, config: ResolvedConfig, frames: readonly Buffer[]): Promise<SetupResult> {
  const pool = await ClassifierPool.create(config, createLogger('warn'));
  try {
    return await measure(name, config.workers, frames, true, async (frame) => (await pool.classify(frame)).result.timings);
  } finally {
    await pool.close();
  }
}

async function measureMainThread(config: ResolvedConfig, frames: readonly Buffer[]): Promise<SetupResult> {
  const engine = await ClassificationEngine.start(config);
  try {
    return await measure('wasm, calling thread (baseline)', 0, frames, false, async (frame) => {
      const { timings } = (await engine.classify(frame, false)).result;
      // No queue on the calling thread, so the whole time is the engine's own.
      return { ...timings, queueMs: 0, totalMs: timings.workerMs };
    });
  } finally {
    engine.dispose();
  }
}

function describeMachine(loadAtStart: number): MachineInfo {
  const cpu = cpus()[0];
  return {
    cpu: cpu?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { frames: { type: 'string', default: '60' }, 'cpu-frames': { type: 'string', default: '4' }, out: { type: 'string' } },
  });
  const repoRoot = dirname(findModelsDir());
  const out = values.out ?? join(repoRoot, 'docs', 'benchmarks.md');
  const loadAtStart = loadavg()[0] ?? 0;
  const frames = await makeFrames(Number(values.frames), repoRoot);

  const wasm = (workers: number) => resolveConfig({ CATDOG_BACKEND: 'wasm', CATDOG_WORKERS: String(workers) });
  const results: SetupResult[] = [];
  results.push(await measureMainThread(wasm(1), frames));
  results.push(await measurePool('wasm, 1 worker', wasm(1), frames));
  results.push(await measurePool('wasm, 2 workers', wasm(2), frames));

  const cpuFrames = Number(values['cpu-frames']);
  if (cpuFrames > 0) {
    results.push(await measurePool('cpu (pure JS), 1 worker', resolveConfig({ CATDOG_BACKEND: 'cpu', CATDOG_WORKERS: '1' }), frames.slice(0, cpuFrames)));
  }

  const report = formatReport(describeMachine(loadAtStart), new Date(), results);
  await writeFile(out, report);
  process.stdout.write(report);
}

await main();
