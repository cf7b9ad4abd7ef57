// The sessions page in real Chromium when its own session is ended from another device: two
// browser contexts of one person; the second signs the first out; the first page, left open,
// says so with a link to sign in again and offers no buttons any more. Checked with axe-core.
import { beforeAll, expect, test, vi } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { appInChromium } from '../helpers/browser-app.js';
import { expectNoAxeViolations } from '../helpers/chromium.js';

vi.setConfig({ testTimeout: 90_000 });

const PASSWORD = 'a long and memorable passphrase';
const EMAIL = 'stale@example.com';
const env = appInChromium();

beforeAll(async () => {
  await env.app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true });
});

async function openSessions(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${env.app.issuer}/account/sessions`);
  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/account/sessions');
  return page;
}

test('a page whose session was ended elsewhere says so and drops its buttons', async () => {
  const [laptop, phone] = await Promise.all([env.chromium.newContext(), env.chromium.newContext()]);
  const first = await openSessions(laptop);
  const second = await openSessions(phone);
  // The first page hears of the second sign-in and lists it, with a button to sign it out.
  await expect.poll(() => first.locator('#sessions > li').count(), { timeout: 15_000 }).toBe(2);
  await first.reload();
  expect(await first.getByRole('button', { name: 'Sign out everywhere else' }).isVisible()).toBe(true);
  await expectNoAxeViolations(first);

  // The phone signs the laptop out.
  await second.reload();
  await second.locator('#sessions > li').filter({ hasNot: second.locator('.badge') }).getByRole('button', { name: /^Sign out/ }).click();
  await second.waitForURL((url) => url.search === '?notice=signed-out');

  const ended = first.getByRole('alert').filter({ hasText: 'You have been signed out' });
  await ended.waitFor({ state: 'visible', timeout: 15_000 });
  expect(await first.getByRole('link', { name: 'Sign in again' }).getAttribute('href')).toBe('/account/sign-in?return=%2Faccount%2Fsessions');
  // The page's own buttons go; the footer's language picker stays.
  expect(await first.locator('main').getByRole('button').count()).toBe(0);
  expect(await first.locator('#sessions form, #sessions .badge').count()).toBe(0);
  await expectNoAxeViolations(first);

  // Its link signs in again and comes back to a current list.
  await first.getByRole('link', { name: 'Sign in again' }).click();
  await first.getByLabel('Email address').fill(EMAIL);
  await first.getByLabel('Password').fill(PASSWORD);
  await first.getByRole('button', { name: 'Sign in' }).click();
  await first.waitForURL((url) => url.pathname === '/account/sessions');
  expect(await first.locator('.badge').textContent()).toBe('This device');
  await Promise.all([laptop.close(), phone.close()]);
});
