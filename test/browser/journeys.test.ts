// A new person's journeys through the hosted pages, in real Chromium, each ending back at the app
// that sent them: "Create an account" from the sign-in page, the mailed confirmation link, and the
// sign-in continuing to the relying party with a code; likewise "Forgot your password?". axe-core
// runs on every page on the way. A confirmation link opened in another browser offers to go on to
// the app instead.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { linkFromMail } from '../helpers/accounts.js';
import { expectNoAxeViolations, launchChromium } from '../helpers/chromium.js';
import { buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_REDIRECT_URI, type AuthorizationRequest } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

vi.setConfig({ testTimeout: 120_000 });

const PASSWORD = 'a long and memorable passphrase';
const NEW_PASSWORD = 'another long and memorable passphrase';
let app: TestApp;
let chromium: Browser;
let rp: oidc.Configuration;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startTestApp(), launchChromium()]);
  const client = await app.context.clients.register({ name: 'Notebook', redirectUris: [RP_REDIRECT_URI] });
  rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
});
afterAll(async () => {
  await chromium?.close();
  await app?.close();
});

/** A browser window whose requests to the app's redirect URI are noted (the URI is not served here). */
async function openWindow(): Promise<{ context: BrowserContext; page: Page; callback: () => URL | undefined }> {
  const context = await chromium.newContext();
  let callback: URL | undefined;
  context.on('request', (sent) => {
    if (sent.url().startsWith(RP_REDIRECT_URI)) callback = new URL(sent.url());
  });
  return { context, page: await context.newPage(), callback: () => callback };
}

async function expectHeading(page: Page, text: string): Promise<void> {
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(text);
  await expectNoAxeViolations(page);
}

/** Starts the app's sign-in; returns the request and the sign-in page's own path. */
async function startSignIn(page: Page): Promise<{ request: AuthorizationRequest; interactionPath: string }> {
  const request = await buildAuthorizationRequest(rp, { scope: 'openid email' });
  await page.goto(request.url.href);
  await expectHeading(page, 'Sign in');
  const interactionPath = new URL(page.url()).pathname;
  expect(interactionPath).toMatch(/^\/interaction\/[A-Za-z0-9_-]+$/);
  return { request, interactionPath };
}

/** Back on the sign-in page with the note and the address filled in: the password, consent, the code. */
async function finishSignIn(page: Page, window: { callback: () => URL | undefined }, request: AuthorizationRequest, email: string, password: string, note: string) {
  await expectHeading(page, 'Sign in');
  await expect.poll(() => page.getByRole('status').textContent()).toBe(note);
  expect(await page.getByLabel('Email address').inputValue()).toBe(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).not.toBe('Sign in');
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect.poll(() => window.callback()?.searchParams.get('code')).toBeTruthy();
  const tokens = await exchangeCode(rp, { request, callbackUrl: window.callback()! });
  // The ID token names the account; its address comes from userinfo.
  const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
  expect(userinfo.email).toBe(email);
}

async function register(page: Page, email: string): Promise<void> {
  await page.getByRole('link', { name: 'Create an account' }).click();
  await expectHeading(page, 'Create an account');
  // The rules are there before the first try.
  await expect.poll(() => page.locator('#password-rules').textContent()).toContain('characters');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Name').fill('New Person');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectHeading(page, 'Check your inbox');
}

describe('every journey returns to the app', () => {
  test('create an account from the sign-in page, confirm in the same browser, and reach the app with a code', async () => {
    const window = await openWindow();
    const { page } = window;
    const { request, interactionPath } = await startSignIn(page);
    const email = 'newcomer@example.test';
    await register(page, email);
    // The way back to the sign-in is on the page.
    expect(await page.getByRole('link', { name: 'Sign in to Notebook' }).getAttribute('href')).toBe(interactionPath);

    await page.goto(await linkFromMail(app, email, 'Confirm your email address', '/account/verify-email'));
    await expectHeading(page, 'Confirm your email address');
    await page.getByRole('button', { name: 'Confirm email address' }).click();
    await expectHeading(page, 'Email address confirmed');
    const next = page.getByRole('link', { name: 'Continue signing in to Notebook' });
    expect(await next.getAttribute('href')).toBe(interactionPath);
    await next.click();
    await finishSignIn(page, window, request, email, PASSWORD, 'Your email address is confirmed. Sign in to continue.');
    await window.context.close();
  });

  test('a confirmation link opened in another browser offers to continue to the app', async () => {
    const first = await openWindow();
    await startSignIn(first.page);
    const email = 'other-browser@example.test';
    await register(first.page, email);
    const link = await linkFromMail(app, email, 'Confirm your email address', '/account/verify-email');

    const second = await openWindow();
    await second.page.goto(link);
    await expectHeading(second.page, 'Confirm your email address');
    await second.page.getByRole('button', { name: 'Confirm email address' }).click();
    await expectHeading(second.page, 'Email address confirmed');
    // No sign-in is open in this browser: the app's own start (its redirect URI's origin here).
    expect(await second.page.getByRole('link', { name: 'Continue to Notebook' }).getAttribute('href')).toBe(new URL(RP_REDIRECT_URI).origin);

    // The used link, opened again, has no button: it says so and what to do next.
    await second.page.goto(link);
    await expectHeading(second.page, 'This link does not work');
    expect(await second.page.getByRole('button', { name: 'Confirm email address' }).count()).toBe(0);
    await expect.poll(() => second.page.locator('main').textContent()).toContain('already used');
    await Promise.all([first.context.close(), second.context.close()]);
  });

  test('forgot password from the sign-in page, reset from the mailed link, and reach the app with a code', async () => {
    const email = 'forgetful@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Forgetful' });
    const window = await openWindow();
    const { page } = window;
    const { request, interactionPath } = await startSignIn(page);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await expectHeading(page, 'Reset your password');
    expect(await page.getByRole('link', { name: 'Sign in to Notebook' }).getAttribute('href')).toBe(interactionPath);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send the reset link' }).click();
    await expectHeading(page, 'Check your inbox');
    expect(await page.getByRole('link', { name: 'Sign in to Notebook' }).getAttribute('href')).toBe(interactionPath);

    await page.goto(await linkFromMail(app, email, 'Reset your password', '/account/reset-password'));
    await expectHeading(page, 'Choose a new password');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expectHeading(page, 'Your password was changed');
    const next = page.getByRole('link', { name: 'Continue signing in to Notebook' });
    expect(await next.getAttribute('href')).toBe(interactionPath);
    await next.click();
    await finishSignIn(page, window, request, email, NEW_PASSWORD, 'Your new password is set. Sign in with it to continue.');
    await window.context.close();
  });
});
