import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionOf, launchChromium, RESULTS_DIR, verdictOf, writeCatVideo } from '../support/chromium.js';
import { ServerProcess } from '../support/server-process.js';

let workDir: string;
let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'catdog-e2e-'));
  await mkdir(RESULTS_DIR, { recursive: true });

  server = await ServerProcess.start();
  await server.waitUntilReady();
  browser = await launchChromium(await writeCatVideo(workDir));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('shared session in Chromium', () => {
  it('shows a camera verdict in a viewer tab', async () => {
    const cameraContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await cameraContext.grantPermissions(['camera', 'clipboard-read', 'clipboard-write'], { origin: server.url });
    const camera = await cameraContext.newPage();
    const consoleErrors: string[] = [];
    camera.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });

    // The bare page creates a session, moves to its URL and starts the camera.
    await camera.goto(server.url);
    await camera.waitForURL(/\/s\/[A-Za-z0-9_-]{22,}$/);
    await expect.poll(() => verdictOf(camera), { timeout: 30_000 }).toBe('Cat');

    // The share button copies the link that the second tab opens.
    await camera.locator('#share').click();
    const link = (await camera.evaluate('navigator.clipboard.readText()')) as string;
    expect(link).toBe(camera.url());

    const viewerContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const viewer = await viewerContext.newPage();
    const openedAt = Date.now();
    await viewer.goto(link);

    await expect.poll(() => verdictOf(viewer), { timeout: 15_000 }).toBe('Cat');
    const secondsToVerdict = (Date.now() - openedAt) / 1000;
    expect(secondsToVerdict).toBeLessThan(15);

    await expect.poll(() => viewer.locator('#people .person').count()).toBe(2);
    await expect.poll(() => camera.locator('#people .person').count()).toBe(2);
    expect(await viewer.locator('#frame').isVisible()).toBe(true);
    expect(Number(await viewer.locator('#count-cats').textContent())).toBeGreaterThan(0);
    expect(await connectionOf(viewer)).toContain('Live');

    await camera.screenshot({ path: join(RESULTS_DIR, 'e2e-camera-tab.png') });
    await viewer.screenshot({ path: join(RESULTS_DIR, 'e2e-viewer-tab.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);

    await viewerContext.close();
    await cameraContext.close();
  });

  it('explains a malformed session link', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(`${server.url}/s/not-a-session`);

    await expect.poll(() => page.locator('#banner').textContent()).toContain('does not contain a valid session id');
    expect(await page.locator('#banner a').getAttribute('href')).toBe('/');
    await context.close();
  });

  it('shuts the server down cleanly on SIGTERM', async () => {
    const code = await server.stop('SIGTERM');

    expect(code).toBe(0);
    const messages = server.logs.map((line) => line.msg);
    expect(messages).toContain('shutting down');
    expect(messages).toContain('shutdown complete');
  });
});
