import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionOf, launchChromium, openCameraAndViewer, RESULTS_DIR, verdictOf, writeCatVideo } from '../support/chromium.js';
import { findFreePort } from '../support/free-port.js';
import { RedisServerProcess } from '../support/redis-server.js';
import { ServerProcess } from '../support/server-process.js';

let workDir: string;
let redis: RedisServerProcess;
let browser: Browser;
const servers: ServerProcess[] = [];

/** Starts the server on `port` with sessions in Redis, so they outlive a restart. */
async function startServer(port: number): Promise<ServerProcess> {
  const server = await ServerProcess.start({ PORT: String(port), REDIS_URL: redis.url });
  servers.push(server);
  await server.waitUntilReady();
  return server;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'catdog-e2e-reconnect-'));
  await mkdir(RESULTS_DIR, { recursive: true });
  redis = await RedisServerProcess.start();
  browser = await launchChromium(await writeCatVideo(workDir));
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await server.stop();
  await redis?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('web client reconnect', () => {
  it('shows the outage and resumes after a restart', async () => {
    // A fixed port, because the browser must find the restarted server at the same URL.
    const port = await findFreePort();
    const first = await startServer(port);

    const { camera, viewer } = await openCameraAndViewer(browser, first.url);

    expect(await first.stop('SIGTERM')).toBe(0);
    await expect.poll(() => connectionOf(viewer)).toMatch(/Reconnecting|unreachable/);
    await expect.poll(() => connectionOf(camera)).toMatch(/Reconnecting|unreachable/);
    await viewer.screenshot({ path: join(RESULTS_DIR, 'e2e-viewer-offline.png') });
    const framesBefore = Number(await viewer.locator('#count-frames').textContent());

    await startServer(port);

    // Both tabs rejoin the same session by themselves, and the camera resumes sending.
    await expect.poll(() => connectionOf(viewer), { timeout: 30_000 }).toContain('Live');
    await expect.poll(() => connectionOf(camera), { timeout: 30_000 }).toContain('Live');
    await expect.poll(async () => Number(await viewer.locator('#count-frames').textContent()), { timeout: 30_000 }).toBeGreaterThan(framesBefore);
    expect(await verdictOf(viewer)).toBe('Cat');
    expect(await viewer.locator('#banner').isHidden()).toBe(true);

    await camera.context().close();
  });
});
