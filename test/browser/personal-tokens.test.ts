// The personal access tokens page in real Chromium: signing in to /account/tokens, making a token
// by label (name, scopes, days), its value shown once and working at introspection, the list,
// revoking it, and a refused form; each state checked with axe-core, and all of it working
// without JavaScript too.
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectNoAxeViolations, launchChromium } from '../helpers/chromium.js';
import { introspect, type ConfidentialClient } from '../helpers/introspection.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

vi.setConfig({ testTimeout: 90_000 });

const PASSWORD = 'a long and memorable passphrase';
let app: TestApp;
let chromium: Browser;
let api: ConfidentialClient;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startTestApp(), launchChromium()]);
  const registered = await app.context.clients.register({ name: 'Reports API', grants: ['client_credentials'], scope: 'openid' });
  api = { id: registered.clientId, secret: registered.clientSecret! };
});
afterAll(async () => {
  await chromium?.close();
  await app?.close();
});

async function signInToTokens(page: Page, email: string): Promise<void> {
  await page.goto(`${app.issuer}/account/tokens`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/account/tokens');
}

test.each([true, false])('makes, shows once, lists and revokes a token (JavaScript %s)', async (javaScriptEnabled) => {
  const email = `tokens-${javaScriptEnabled ? 'js' : 'nojs'}@example.com`;
  await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
  const context = await chromium.newContext({ javaScriptEnabled });
  const page = await context.newPage();
  // axe runs as a script in the page: only where the page runs scripts.
  const checkAccessibility = () => (javaScriptEnabled ? expectNoAxeViolations(page) : Promise.resolve());
  await signInToTokens(page, email);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Personal access tokens');
  expect(await page.locator('main').innerText()).toContain('You have no tokens.');
  await checkAccessibility();

  // A refused form keeps what was typed and says what is wrong beside the field.
  await page.getByLabel('Name', { exact: true }).fill('deploy script');
  await page.getByLabel('Your email address (email)').check();
  await page.getByLabel('Expires after (days)').fill('0');
  await page.getByRole('button', { name: 'Make token' }).click();
  expect(await page.locator('.error-summary').innerText()).toContain('A token lasts at least 1 day.');
  expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('deploy script');
  await checkAccessibility();

  await page.getByLabel('Your roles (roles)').check();
  await page.getByLabel('Expires after (days)').fill('30');
  await page.getByRole('button', { name: 'Make token' }).click();
  await page.waitForLoadState('load');
  const value = (await page.locator('#new-token').textContent())!.trim();
  expect(value).toMatch(/^gatehouse_pat_[A-Za-z0-9_-]{43}$/);
  expect(await page.getByRole('button', { name: 'Copy' }).isVisible()).toBe(javaScriptEnabled);
  await checkAccessibility();
  expect(await introspect(app.issuer, api, value)).toMatchObject({ active: true, scope: 'openid email roles' });

  // Shown once: the list has its name, never its value.
  await page.goto(`${app.issuer}/account/tokens`);
  expect(await page.content()).not.toContain(value);
  const row = page.getByRole('row', { name: /deploy script/ });
  expect(await row.innerText()).toContain('email, roles');
  await page.getByRole('button', { name: /^Revoke deploy script/ }).click();
  await page.waitForURL((url) => url.search === '?notice=revoked');
  expect(await page.getByRole('status').first().textContent()).toContain('The token was revoked.');
  await checkAccessibility();
  expect(await introspect(app.issuer, api, value)).toEqual({ active: false });
  await context.close();
});
