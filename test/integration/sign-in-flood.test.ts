// A sign-in flood queues behind a bounded number of password hashes; beyond the queue a person
// gets the login form back with a 503 and Retry-After instead of an ever-growing wait.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_BUSY } from '../../src/services/passwords.js';
import { Browser, type Page } from '../helpers/browser.js';
import { buildAuthorizationRequest, discoverIssuer, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const EMAIL = 'flood@example.test';
const PASSWORD = 'one of many at once';

describe('sign-in flood', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-flood-'));
  let app: TestApp;
  let pages: { browser: Browser; page: Page }[];
  const turnedAway: { browser: Browser; page: Page }[] = [];

  beforeAll(async () => {
    const settingsFile = path.join(dir, 'settings.json');
    // Six sign-ins to one account at once: the lockout's attempt bound (5) is widened so that only
    // the hashing queue decides here.
    writeFileSync(settingsFile, JSON.stringify({ passwordHashing: { maxConcurrent: 1, maxQueued: 1 }, lockout: { maxFailures: 20 } }));
    app = await startTestApp({ env: { SETTINGS_FILE: settingsFile } });
    await app.context.users.create({ email: EMAIL, password: PASSWORD });
    const client = await app.context.clients.register({ name: 'Flooded', redirectUris: [RP_REDIRECT_URI] });
    const rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
    pages = [];
    for (let i = 0; i < 6; i += 1) {
      const browser = new Browser();
      const page = await browser.get((await buildAuthorizationRequest(rp)).url.href, { followOrigins: [app.issuer] });
      pages.push({ browser, page });
    }
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers what the queue holds and turns the rest away with the form, 503 and Retry-After', async () => {
    const answers = await Promise.all(pages.map(({ browser, page }) => browser.submit(page, {
      button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, followRedirects: false,
    })));
    const accepted = answers.filter((answer) => answer.status === 303);
    const refused = answers.filter((answer) => answer.status === 503);
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length + refused.length).toBe(answers.length);
    answers.forEach((answer, index) => { if (answer.status === 503) turnedAway.push({ browser: pages[index]!.browser, page: answer }); });
    for (const answer of refused) {
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(answer.body).toContain(SIGN_IN_BUSY.replace("'", '&#39;'));
      expect(answer.body).toContain(`value="${EMAIL}"`);
      expect(answer.body).not.toContain(PASSWORD);
    }
  });

  it('lets a person who was turned away sign in from the same form once the flood has passed', async () => {
    const { browser, page } = turnedAway[0]!;
    const retry = await browser.submit(page, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, followRedirects: false });
    expect(retry.status).toBe(303);
  });
});
