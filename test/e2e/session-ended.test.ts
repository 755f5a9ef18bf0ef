import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionOf, launchChromium, openCameraAndViewer, RESULTS_DIR, verdictOf, writeCatVideo } from '../support/chromium.js';
import { findFreePort } from '../support/free-port.js';
import { ServerProcess } from '../support/server-process.js';

let workDir: string;
let browser: Browser;
const servers: ServerProcess[] = [];

async function startServer(port: number): Promise<ServerProcess> {
  const server = await ServerProcess.start({ PORT: String(port) });
  servers.push(server);
  await server.waitUntilReady();
  return server;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'catdog-e2e-ended-'));
  await mkdir(RESULTS_DIR, { recursive: true });
  browser = await launchChromium(await writeCatVideo(workDir));
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await server.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('web client session end', () => {
  it('clears the page when the session is gone', async () => {
    // Without Redis, sessions live in the server's memory and end with a restart. The port
    // stays fixed so that the browser finds the restarted server at the same URL.
    const port = await findFreePort();
    const first = await startServer(port);

    const { camera, viewer } = await openCameraAndViewer(browser, first.url);
    await expect.poll(() => viewer.locator('#people li').count()).toBe(2);

    expect(await first.stop('SIGTERM')).toBe(0);
    await startServer(port);

    for (const page of [viewer, camera]) {
      await expect.poll(() => page.locator('#banner').textContent(), { timeout: 30_000 }).toContain('This session has ended');
      expect(await connectionOf(page)).toContain('Not joined');
      expect(await page.locator('#verdict').isHidden()).toBe(true);
      expect(await page.locator('#people li').count()).toBe(0);
      expect(await page.locator('#fps').textContent()).toBe('–');
      expect(await page.locator('#latency').textContent()).toBe('–');
      expect(await page.locator('#frame').isHidden()).toBe(true);
      expect(await page.locator('#count-frames').textContent()).toBe('0');
    }
    await viewer.screenshot({ path: join(RESULTS_DIR, 'e2e-session-ended.png') });

    await camera.context().close();
  });
});
