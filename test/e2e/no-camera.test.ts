import { join } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium, RESULTS_DIR } from '../support/chromium.js';
import { fixturePath } from '../support/fixtures.js';
import { ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  server = await ServerProcess.start();
  await server.waitUntilReady();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('page without a camera', () => {
  it('offers photo upload without a camera', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['camera'], { origin: server.url });
    const page = await context.newPage();
    await page.goto(server.url);

    const message = page.locator('#camera-message-text');
    await expect.poll(() => message.textContent()).toContain('No camera was found');
    expect(await page.locator('#camera-message-upload').isVisible()).toBe(true);

    const chooser = page.waitForEvent('filechooser');
    await page.locator('#camera-message-upload').click();
    await (await chooser).setFiles(fixturePath('cat/cat-001.jpg'));

    await expect.poll(() => page.locator('#upload-verdict').textContent(), { timeout: 30_000 }).toMatch(/^Cat \(\d+%\)/);
    await page.screenshot({ path: join(RESULTS_DIR, 'e2e-no-camera.png'), fullPage: true });
    await context.close();
  });
});
