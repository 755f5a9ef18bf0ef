import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fixturePath } from '../support/fixtures.js';

const CLI = fileURLToPath(new URL('../../server/cli/classify.ts', import.meta.url));

interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI from its TypeScript source, so the test does not depend on a prior build. */
function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, CATDOG_WORKERS: '2', ...env } }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

// tfjs-node's native addon does not build on every machine.
const tfjsNodeLoads = await import('@tensorflow/tfjs-node' as string).then(
  () => true,
  () => false,
);

let tempDir: string;
let textFile: string;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'catdog-cli-'));
  textFile = join(tempDir, 'notes.txt');
  await writeFile(textFile, 'not an image\n');
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

describe('classify CLI', () => {
  it('prints one JSON line per file in argument order', async () => {
    const files = [fixturePath('cat/cat-001.jpg'), join(tempDir, 'missing.jpg'), textFile, fixturePath('dog/dog-001.jpg')];
    const { exitCode, stdout } = await runCli(['--json', ...files]);

    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.file)).toEqual(files);

    expect(lines[0]).toMatchObject({ verdict: 'cat', backend: 'wasm' });
    expect(typeof lines[0]?.confidence).toBe('number');
    expect(Array.isArray(lines[0]?.detections)).toBe(true);
    expect(lines[1]?.error).toMatchObject({ code: 'ERR_FILE_NOT_FOUND' });
    expect(lines[2]?.error).toMatchObject({ code: 'ERR_NOT_AN_IMAGE' });
    expect(lines[3]).toMatchObject({ verdict: 'dog' });
    expect(exitCode).toBe(1);
  });

  it('prints readable lines and exits 0 when all files succeed', async () => {
    const { exitCode, stdout, stderr } = await runCli([fixturePath('dog/dog-001.jpg'), fixturePath('neither/neither-001.jpg')]);

    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/dog-001\.jpg: dog \d+% \(dog \d+% at \[/);
    expect(lines[1]).toMatch(/neither-001\.jpg: /);
    for (const line of lines) expect(line).toMatch(/ \d+ ms, queued \d+ ms$/);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
  });

  it('prints one line for a truncated JPEG', async () => {
    const photo = await readFile(fixturePath('cat/cat-001.jpg'));
    const truncated = join(tempDir, 'truncated.jpg');
    await writeFile(truncated, photo.subarray(0, 300));

    const { exitCode, stdout } = await runCli([truncated, fixturePath('dog/dog-001.jpg')]);

    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/truncated\.jpg: error ERR_IMAGE_CORRUPT: the JPEG /);
    expect(lines[0]).not.toContain('Vips');
    expect(lines[1]).toMatch(/dog-001\.jpg: dog /);
    expect(exitCode).toBe(1);
  });

  it('rejects a file above the byte limit without reading it', async () => {
    const { exitCode, stdout } = await runCli(['--json', fixturePath('cat/cat-002.jpg')], { CATDOG_MAX_IMAGE_BYTES: '2048' });
    expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'ERR_IMAGE_TOO_LARGE' } });
    expect(exitCode).toBe(1);
  });

  it('exits 2 with usage when no file is given', async () => {
    const { exitCode, stdout, stderr } = await runCli([]);
    expect(stdout).toBe('');
    expect(stderr).toContain('no files given');
    expect(stderr).toContain('Usage: npm run classify');
    expect(exitCode).toBe(2);
  });

  it.runIf(!tfjsNodeLoads)('exits 2 when a forced backend cannot start', async () => {
    const { exitCode, stderr } = await runCli([fixturePath('cat/cat-001.jpg')], { CATDOG_BACKEND: 'node' });
    expect(stderr).toMatch(/^classify: the node inference backend set by CATDOG_BACKEND=node failed to start because .+; unset CATDOG_BACKEND or set it to wasm\n$/);
    expect(exitCode).toBe(2);
  });
});
