// The pages a person may land on outside a sign-in, in real Chromium with axe-core: the root page,
// the 404 page, a protocol error page, and the confirm page of the email-change undo link.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { linkFromMail } from '../helpers/accounts.js';
import { expectNoAxeViolations, launchChromium } from '../helpers/chromium.js';
import { RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

vi.setConfig({ testTimeout: 60_000 });

const PASSWORD = 'a long and memorable passphrase';
const ORIGIN = { ip: '127.0.0.1', userAgent: 'browser test' };
let app: TestApp;
let chromium: Browser;
let clientId: string;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startTestApp(), launchChromium()]);
  clientId = (await app.context.clients.register({ name: 'Friendly App', redirectUris: [RP_REDIRECT_URI] })).clientId;
});
afterAll(async () => {
  await chromium?.close();
  await app?.close();
});

/** An undo link as the old address receives it, after a change made through the service. */
async function undoLink(): Promise<string> {
  const user = await app.context.users.create({ email: 'old@example.test', password: PASSWORD, emailVerified: true });
  expect(await app.context.emailChange.request(user.id, PASSWORD, 'new@example.test', ORIGIN)).toEqual({ ok: true });
  const confirm = new URL(await linkFromMail(app, 'new@example.test', 'Confirm your new email address', '/account/email/confirm'));
  expect(await app.context.emailChange.confirm(confirm.searchParams.get('token')!, ORIGIN)).toMatchObject({ ok: true });
  return linkFromMail(app, 'old@example.test', 'The email address of your account was changed', '/account/email/undo');
}

describe('pages outside a sign-in', () => {
  test('root, 404, protocol error and undo confirm pages pass axe', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const pages: { url: string; heading: string; status: number }[] = [
      { url: `${app.issuer}/`, heading: 'Gatehouse', status: 200 },
      { url: `${app.issuer}/no/such/page`, heading: 'Page not found', status: 404 },
      {
        url: `${app.issuer}/auth?client_id=${clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`,
        heading: 'This app asked to send you somewhere unexpected', status: 400,
      },
      { url: await undoLink(), heading: 'Give your email address back', status: 200 },
    ];
    for (const expected of pages) {
      const response = await page.goto(expected.url);
      expect(response?.status()).toBe(expected.status);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(expected.heading);
      await expectNoAxeViolations(page);
    }
    await context.close();
  });
});
