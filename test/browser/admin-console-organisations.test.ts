// The organisation pages of the admin console in real Chromium, as an organisation admin: each
// page state passes axe-core, and invitations and org roles are managed with plain forms.
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { ADMIN_TEST_PASSWORD } from '../helpers/admin.js';
import { expectNoAxeViolations, launchChromium } from '../helpers/chromium.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

vi.setConfig({ testTimeout: 90_000 });
const ACTOR = { by: 'admin-cli' };

let app: TestApp;
let chromium: Browser;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startTestApp(), launchChromium()]);
  for (const email of ['owner@example.com', 'member@example.com']) {
    await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true });
  }
  await app.context.organisations.create({ slug: 'acme', name: 'Acme Corporation' }, ACTOR);
  await app.context.organisations.setMember('acme', 'owner@example.com', true, ACTOR, ['admin']);
  await app.context.organisations.setMember('acme', 'member@example.com', true, ACTOR, ['viewer']);
});
afterAll(async () => {
  await chromium?.close();
  await app?.close();
});

test('an organisation admin manages their organisation with plain forms, and each page passes axe', async () => {
  const context = await chromium.newContext();
  const page = await context.newPage();
  await page.goto(`${app.issuer}/admin`);
  await page.getByLabel('Email address').fill('owner@example.com');
  await page.getByLabel('Password').fill(ADMIN_TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/admin/organisations');
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Organisations');
  await expectNoAxeViolations(page);

  await page.getByRole('link', { name: 'Acme Corporation' }).click();
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Acme Corporation');
  await expectNoAxeViolations(page);

  await page.getByLabel('Email address').fill('newcomer@example.com');
  await page.getByLabel('Org roles', { exact: true }).fill('viewer');
  await page.getByRole('button', { name: 'Send the invitation' }).click();
  expect(await page.getByRole('status').textContent()).toBe('The invitation is on its way.');
  await expectNoAxeViolations(page);

  await page.getByLabel('Org roles of member@example.com').fill('Bad Role');
  await page.getByRole('button', { name: 'Save roles of member@example.com' }).click();
  expect(await page.getByRole('alert').innerText()).toContain('is not a role name');
  await expectNoAxeViolations(page);
  await context.close();
});
