// The admin console counts its requests per IP, signed in or not, as the admin API does: past the
// limit a readable 429 page with Retry-After, and the console answers again once the window ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const settings = createSettingsFiles('gh-console-limits-');
afterAll(() => settings.remove());

describe('admin console rate limit', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('tight', { rateLimits: { adminConsolePerIp: { points: 2, windowSeconds: 2 } } }) } });
  });
  afterAll(async () => { await app?.close(); });

  it('answers a 429 page with Retry-After past the limit, and serves again after the window', async () => {
    const open = () => fetch(`${app.issuer}/admin`, { redirect: 'manual', headers: { accept: 'text/html' } });
    for (let i = 0; i < 2; i += 1) expect((await open()).status).toBeLessThan(400);
    const refused = await open();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('content-type')).toContain('text/html');
    expect(await refused.text()).toContain('Too many requests to the admin console');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await open()).status).toBeLessThan(400);
  });
});
