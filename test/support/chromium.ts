import { join } from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

import { readFixture } from './fixtures.js';
import { writeY4m } from './y4m.js';

/** Debian's chromium, unless CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Folder for screenshots and other artifacts of browser tests (gitignored). */
export const RESULTS_DIR = join(process.cwd(), 'test-results');

/**
 * Writes a fake-webcam video of two real cat photos, each held for three seconds at
 * 10 fps, and returns its path.
 */
export async function writeCatVideo(dir: string): Promise<string> {
  const path = join(dir, 'cats.y4m');
  const photos = [await readFixture('cat/cat-001.jpg'), await readFixture('cat/cat-004.jpg')];
  await writeY4m(path, photos, { width: 640, height: 480, framesPerSecond: 10, framesPerPhoto: 30 });
  return path;
}

/**
 * Launches headless Chromium with the flags that keep it off the network in a closed
 * environment. With `videoFile`, it also has a fake webcam that plays the file and
 * accepts camera prompts; without it, the browser has no camera at all. Playwright
 * gives every launch a fresh temporary profile.
 */
export function launchChromium(videoFile?: string): Promise<Browser> {
  const fakeCamera =
    videoFile === undefined
      ? []
      : ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${videoFile}`];

  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...fakeCamera,
    ],
  });
}

/** Text of the page's verdict badge, e.g. "Cat". */
export async function verdictOf(page: Page): Promise<string> {
  return (await page.locator('#verdict-label').textContent()) ?? '';
}

export async function connectionOf(page: Page): Promise<string> {
  return (await page.locator('#connection').textContent()) ?? '';
}

/**
 * Opens a camera tab on `url` (which creates a session) and a viewer tab on its session
 * link, in one browser context, and waits until the viewer shows the verdict Cat.
 */
export async function openCameraAndViewer(browser: Browser, url: string): Promise<{ camera: Page; viewer: Page }> {
  const context = await browser.newContext();
  await context.grantPermissions(['camera'], { origin: url });

  const camera = await context.newPage();
  await camera.goto(url);
  await camera.waitForURL(/\/s\//);

  const viewer = await context.newPage();
  await viewer.goto(camera.url());
  await expect.poll(() => verdictOf(viewer), { timeout: 30_000 }).toBe('Cat');
  return { camera, viewer };
}
