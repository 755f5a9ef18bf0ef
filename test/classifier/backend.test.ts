import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { resolveConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { ClassifierPool } from '../../server/classifier/pool.js';
import { readFixture } from '../support/fixtures.js';

const pools: ClassifierPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

async function startPool(backend: string, logger = createLogger('silent')): Promise<ClassifierPool> {
  const pool = await ClassifierPool.create(resolveConfig({ CATDOG_WORKERS: '1', CATDOG_BACKEND: backend }), logger);
  pools.push(pool);
  return pool;
}

/** Creates a logger that keeps every JSON line it writes. */
function recordingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

// tfjs-node's native addon does not build on every machine; the expectations follow
// whether it loads in this process.
const tfjsNodeLoads = await import('@tensorflow/tfjs-node' as string).then(
  () => true,
  () => false,
);

describe('inference backends', () => {
  it('logs the automatic choice and why', async () => {
    const { logger, lines } = recordingLogger();
    const pool = await startPool('auto', logger);

    const ready = lines.find((line) => line.msg === 'classifier ready');
    expect(ready?.backend).toBe(pool.backend);
    if (tfjsNodeLoads) {
      expect(pool.backend).toBe('node');
    } else {
      expect(pool.backend).toBe('wasm');
      expect(String(ready?.reason)).toMatch(/tfjs-node unavailable .*wasm with SIMD/);
    }
  });

  it('runs wasm when requested by name', async () => {
    const pool = await startPool('wasm');
    expect(pool.backend).toBe('wasm');
  });

  it.runIf(!tfjsNodeLoads)('fails at start-up when node is forced but cannot load', async () => {
    const error = await startPool('node').then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );

    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/^the node inference backend set by CATDOG_BACKEND=node failed to start because \S/);
    expect(error!.message).toMatch(/; unset CATDOG_BACKEND or set it to wasm$/);
    expect(error!.message).not.toContain('\n');
    expect(error!.message.match(/failed to start/g)).toHaveLength(1);
    // pino appends a cause's message to the outer one, which would repeat the reason.
    expect(error!.cause).toBeUndefined();
  });

  it.runIf(tfjsNodeLoads)('runs node when forced and available', async () => {
    const pool = await startPool('node');
    expect(pool.backend).toBe('node');
  });

  it('runs the cpu backend only by name, with the same verdict', async () => {
    const photo = await readFixture('dog/dog-003.jpg');
    const wasm = await startPool('wasm');
    const cpu = await startPool('cpu');

    const [fromWasm, fromCpu] = await Promise.all([wasm.classify(photo), cpu.classify(photo)]);
    expect(cpu.backend).toBe('cpu');
    expect(fromCpu.result.backend).toBe('cpu');
    expect(fromCpu.result.verdict).toBe(fromWasm.result.verdict);
    expect(fromCpu.result.confidence).toBeCloseTo(fromWasm.result.confidence, 2);
  });
});
