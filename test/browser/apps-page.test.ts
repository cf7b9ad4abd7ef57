// /account/apps in real Chromium: the app a person allowed, what it may do in words, times in
// <time> elements (UTC without JavaScript, the browser's time zone with it), and "Remove access";
// each state checked with axe-core.
import * as oidc from 'openid-client';
import { beforeAll, expect, test, vi } from 'vitest';
import { appInChromium } from '../helpers/browser-app.js';
import { Browser as HttpBrowser } from '../helpers/browser.js';
import { expectNoAxeViolations } from '../helpers/chromium.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';

vi.setConfig({ testTimeout: 90_000 });

const PASSWORD = 'a long and memorable passphrase';
const env = appInChromium();
let rp: oidc.Configuration;

beforeAll(async () => {
  const { app } = env;
  const client = await app.context.clients.register({ name: 'Expense reports', redirectUris: [RP_REDIRECT_URI], scope: 'openid offline_access profile email' });
  rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
});

test.each([true, false])('lists an allowed app and removes its access (JavaScript %s)', async (javaScriptEnabled) => {
  const { app, chromium } = env;
  const email = `apps-${javaScriptEnabled ? 'js' : 'nojs'}@example.com`;
  await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
  await exchangeCode(rp, await signIn(new HttpBrowser(), rp, { email, password: PASSWORD, scope: 'openid profile email' }));

  const context = await chromium.newContext({ javaScriptEnabled, timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  const checkAccessibility = () => (javaScriptEnabled ? expectNoAxeViolations(page) : Promise.resolve());
  await page.goto(`${app.issuer}/account`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/account');
  await page.getByRole('link', { name: 'Apps you allowed' }).click();
  await page.waitForURL((url) => url.pathname === '/account/apps');

  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Apps you allowed');
  const main = await page.locator('main').innerText();
  expect(main).toContain('Expense reports');
  expect(main).toContain('See your name and basic profile details');
  expect(main).toContain('See your email address and whether it is verified');
  const allowedAt = page.locator('time').first();
  expect(await allowedAt.getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  // Without JavaScript the time says UTC; with it, the browser's own zone (Tokyo is UTC+9).
  if (javaScriptEnabled) await expect.poll(() => allowedAt.textContent()).toMatch(/GMT\+9|JST/);
  else expect(await allowedAt.textContent()).toMatch(/ UTC$/);
  await checkAccessibility();

  await page.getByRole('button', { name: 'Remove access for Expense reports' }).click();
  await page.waitForURL((url) => url.search === '?notice=removed');
  expect(await page.getByRole('status').first().textContent()).toContain('Access was removed.');
  expect(await page.locator('main').innerText()).toContain('You have not allowed any app yet.');
  await checkAccessibility();
  await context.close();
});
