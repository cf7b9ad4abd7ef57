// The admin console in real Chromium (Debian's, through playwright-core): signing in through
// Gatehouse itself, the role checked on every request, each page state checked with axe-core,
// forms that work without JavaScript, and what the console's actions do to the protocol.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Browser as TestBrowser } from '../helpers/browser.js';
import { ADMIN_TEST_PASSWORD, createAdmin } from '../helpers/admin.js';
import { expectNoAxeViolations, launchChromium } from '../helpers/chromium.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const ADMIN_EMAIL = 'console-admin@example.com';

let app: TestApp;
let chromium: Browser;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startTestApp(), launchChromium()]);
  await createAdmin(app, ADMIN_EMAIL);
});
afterAll(async () => {
  await chromium?.close();
  await app?.close();
});

/** A fresh browser profile (like a private window), optionally without JavaScript. */
async function newPerson(options: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true });
  return { context, page: await context.newPage() };
}

/** Opens /admin and signs in on Gatehouse's own sign-in page, which returns to the console. */
async function signInToConsole(page: Page, email: string, path = '/admin'): Promise<void> {
  await page.goto(`${app.issuer}${path}`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(ADMIN_TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/admin'));
}

describe('signing in', () => {
  test('a non-admin gets 403 with the reason and whom to ask; nothing of the console shows', async () => {
    await app.context.users.create({ email: 'not-admin@example.com', password: ADMIN_TEST_PASSWORD, emailVerified: true });
    const { context, page } = await newPerson();
    const responses: number[] = [];
    page.on('response', (response) => { if (new URL(response.url()).pathname === '/admin') responses.push(response.status()); });
    await signInToConsole(page, 'not-admin@example.com');
    expect(responses.at(-1)).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('You are not an admin');
    const main = await page.locator('main').innerText();
    expect(main).toContain('does not have the admin role');
    expect(main).toContain('npx gatehouse users roles --email not-admin@example.com --add admin');
    expect(await page.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
    await expectNoAxeViolations(page);
    await context.close();
  });

  test('an admin signs in without a consent page and lands on the dashboard; its pages pass axe', async () => {
    const { context, page } = await newPerson();
    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(new URL(frame.url()).pathname));
    await signInToConsole(page, ADMIN_EMAIL);
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect(visited.filter((path) => path.startsWith('/interaction/'))).toHaveLength(1);
    expect(await page.locator('main').innerText()).toMatch(/Users\s+\d+/);
    await expectNoAxeViolations(page);
    for (const [path, heading] of [['/admin/keys', 'Signing keys'], ['/admin/audit?type=login.success', 'Audit trail'], ['/admin/clients', 'Clients']] as const) {
      await page.goto(`${app.issuer}${path}`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(heading);
      await expectNoAxeViolations(page);
    }
    expect(await page.locator('main').innerText()).not.toContain('no such');
    await context.close();
  });
});

describe('clients', () => {
  test('an admin registers a client, copies its secret once, and an openid-client RP completes a code flow with it', async () => {
    const { context, page } = await newPerson();
    await signInToConsole(page, ADMIN_EMAIL, '/admin/clients/new');
    await expectNoAxeViolations(page);
    // A refused redirect URI comes back beside its field, with what was typed kept.
    await page.getByLabel('Name', { exact: true }).fill('Notebook');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('http://example.com/callback');
    await page.getByRole('button', { name: 'Register the client' }).click();
    expect(await page.locator('#redirectUris-error').innerText()).toContain('redirect_uris');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Notebook');
    await expectNoAxeViolations(page);

    await page.getByLabel('Redirect URIs', { exact: true }).fill(RP_REDIRECT_URI);
    await page.getByRole('button', { name: 'Register the client' }).click();
    const clientId = (await page.locator('#client-id').innerText()).trim();
    const clientSecret = (await page.locator('#client-secret').innerText()).trim();
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // With JavaScript the copy buttons appear (a same-origin script file; the CSP allows nothing inline).
    expect(await page.getByRole('button', { name: 'Copy' }).count()).toBe(2);
    await expectNoAxeViolations(page);

    const rp = await discoverIssuer(app.issuer, clientId, clientSecret);
    const tokens = await exchangeCode(rp, await signIn(new TestBrowser(), rp, { email: ADMIN_EMAIL, password: ADMIN_TEST_PASSWORD }));
    expect(tokens.claims()?.aud).toBe(clientId);

    await page.goto(`${app.issuer}/admin/clients`);
    await page.getByRole('link', { name: 'Notebook' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Notebook');
    expect(await page.locator('main').innerText()).not.toContain(clientSecret);
    await expectNoAxeViolations(page);
    await context.close();
  });

  test('without JavaScript the form still registers a client, and the secret is there to select', async () => {
    const { context, page } = await newPerson({ javaScriptEnabled: false });
    await signInToConsole(page, ADMIN_EMAIL, '/admin/clients/new');
    await page.getByLabel('Name', { exact: true }).fill('Batch job');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('');
    await page.getByLabel('authorization_code').uncheck();
    await page.getByLabel('refresh_token').uncheck();
    await page.getByLabel('client_credentials').check();
    await page.getByRole('button', { name: 'Register the client' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Client registered');
    expect((await page.locator('#client-secret').innerText()).trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await page.getByRole('button', { name: 'Copy' }).count()).toBe(0);
    await context.close();
  });
});
