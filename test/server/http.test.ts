import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp, type App } from '../../server/app/index.js';
import type { ClassifierPool } from '../../server/classifier/pool.js';
import type { ClassificationResult } from '../../server/classifier/types.js';
import { createLogger } from '../../server/logger.js';
import { SESSION_ID_PATTERN } from '../../server/protocol.js';
import { MemorySessionStore } from '../../server/sessions/memory-store.js';
import { readFixture } from '../support/fixtures.js';
import { createTestPool, testConfig } from '../support/live-app.js';

const MAX_IMAGE_BYTES = 300_000;
const config = testConfig({ CATDOG_MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES) });
let pool: ClassifierPool;
let store: MemorySessionStore;
let app: App;
let staticDir: string;
let base: string;
let redisUp = true;

beforeAll(async () => {
  staticDir = await mkdtemp(join(tmpdir(), 'catdog-static-'));
  await mkdir(join(staticDir, 'assets'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>page</title>');
  await writeFile(join(staticDir, 'assets', 'main-abc123.js'), 'console.log(1);');

  pool = await createTestPool(config);
  store = new MemorySessionStore({ historyLength: 10, sessionTtlSeconds: 3600 });
  app = await createApp(config, createLogger('silent'), { pool, store, staticDir, readinessChecks: { redis: () => redisUp } });
  base = `http://127.0.0.1:${app.port}`;
});

afterAll(async () => {
  await app.close();
  await pool.close();
  await store.close();
  await rm(staticDir, { recursive: true, force: true });
});

async function postImage(body: Uint8Array | string, contentType: string): Promise<Response> {
  return fetch(`${base}/api/classify`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
}

async function errorCodeOf(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return body.error.code;
}

describe('HTTP API', () => {
  it('reports liveness', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('reports readiness with every check', async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { model: true, accepting: true, redis: true } });

    redisUp = false;
    try {
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(((await notReady.json()) as { checks: Record<string, boolean> }).checks.redis).toBe(false);
    } finally {
      redisUp = true;
    }
  });

  it('classifies a posted cat photo', async () => {
    const response = await postImage(await readFixture('cat/cat-001.jpg'), 'image/jpeg');

    expect(response.status).toBe(200);
    const result = (await response.json()) as ClassificationResult;
    expect(result.verdict).toBe('cat');
    expect(result.confidence).toBeGreaterThan(0.3);
    expect(result.detections.some((detection) => detection.label === 'cat')).toBe(true);
  });

  it('rejects bad uploads with codes', async () => {
    const photo = await readFixture('cat/cat-001.jpg');
    const cases: Array<[string, Promise<Response>, number, string]> = [
      ['text content type', postImage(photo, 'text/plain'), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE'],
      ['missing content type', fetch(`${base}/api/classify`, { method: 'POST', body: photo }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE'],
      ['empty body', postImage(new Uint8Array(0), 'image/jpeg'), 400, 'ERR_IMAGE_EMPTY'],
      ['over the size limit', postImage(new Uint8Array(MAX_IMAGE_BYTES + 1), 'image/jpeg'), 413, 'ERR_IMAGE_TOO_LARGE'],
      ['not an image', postImage('hello, this is text', 'image/png'), 400, 'ERR_NOT_AN_IMAGE'],
    ];

    for (const [name, request, status, code] of cases) {
      const response = await request;
      expect(response.status, name).toBe(status);
      expect(await errorCodeOf(response), name).toBe(code);
    }
  });

  it('rejects a streamed body over the limit', async () => {
    // Without Content-Length the limit applies while the body arrives.
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_IMAGE_BYTES * 2) controller.close();
        else controller.enqueue(chunk);
        sent += chunk.length;
      },
    });

    const response = await fetch(`${base}/api/classify`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await errorCodeOf(response)).toBe('ERR_IMAGE_TOO_LARGE');
  });

  it('creates sessions with unguessable ids', async () => {
    const ids = new Set<string>();
    for (let index = 0; index < 5; index++) {
      const response = await fetch(`${base}/api/sessions`, { method: 'POST' });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { sessionId: string; path: string };
      expect(body.sessionId).toMatch(SESSION_ID_PATTERN);
      expect(Buffer.from(body.sessionId, 'base64url')).toHaveLength(16);
      expect(body.path).toBe(`/s/${body.sessionId}`);
      expect(await store.exists(body.sessionId)).toBe(true);
      ids.add(body.sessionId);
    }
    expect(ids.size).toBe(5);
  });

  it('returns session history', async () => {
    const created = (await (await fetch(`${base}/api/sessions`, { method: 'POST' })).json()) as { sessionId: string };
    await store.append(created.sessionId, { time: 1, cameraId: 'a', verdict: 'cat-and-dog', confidence: 0.9 });

    const response = await fetch(`${base}/api/sessions/${created.sessionId}/history?limit=5`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { entries: unknown[]; counts: unknown };
    expect(body.entries).toHaveLength(1);
    expect(body.counts).toEqual({ cats: 1, dogs: 1, frames: 1 });

    expect((await fetch(`${base}/api/sessions/not-an-id/history`)).status).toBe(400);
    expect((await fetch(`${base}/api/sessions/${'B'.repeat(22)}/history`)).status).toBe(404);
  });

  it('serves the page for session paths', async () => {
    for (const path of ['/', `/s/${'C'.repeat(22)}`]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toContain('text/html');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(response.headers.get('content-security-policy'), path).toContain("default-src 'self'");
      expect(await response.text(), path).toContain('<title>page</title>');
    }

    const asset = await fetch(`${base}/assets/main-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('rejects unknown paths and methods', async () => {
    const cases: Array<[string, RequestInit, number, string]> = [
      ['/nope.js', {}, 404, 'ERR_NOT_FOUND'],
      ['/%2e%2e/%2e%2e/etc/passwd', {}, 404, 'ERR_NOT_FOUND'],
      ['/%E0%A4%A', {}, 404, 'ERR_NOT_FOUND'],
      ['/api/unknown', {}, 404, 'ERR_NOT_FOUND'],
      ['/api/classify', { method: 'GET' }, 405, 'ERR_METHOD_NOT_ALLOWED'],
      ['/healthz', { method: 'DELETE' }, 405, 'ERR_METHOD_NOT_ALLOWED'],
    ];

    for (const [path, init, status, code] of cases) {
      const response = await fetch(`${base}${path}`, init);
      expect(response.status, path).toBe(status);
      expect(await errorCodeOf(response), path).toBe(code);
    }
  });
});
