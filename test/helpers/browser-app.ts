// For one browser test file: the app and one Chromium, started together before the first test and
// closed after the last. Read them as `env.app`, `env.chromium`.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './chromium.js';
import { startTestApp, type TestApp } from './start-app.js';

export function appInChromium(): { app: TestApp; chromium: Browser } {
  const env = {} as { app: TestApp; chromium: Browser };
  beforeAll(async () => {
    [env.app, env.chromium] = await Promise.all([startTestApp(), launchChromium()]);
  });
  afterAll(async () => {
    await env.chromium?.close();
    await env.app?.close();
  });
  return env;
}
