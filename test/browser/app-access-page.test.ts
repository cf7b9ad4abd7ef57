// The page a person sees when they may not use an app, in real Chromium: axe-clean, and its one
// button takes them back to the app with access_denied, with or without JavaScript.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { expectNoAxeViolations, launchChromium } from '../helpers/chromium.js';
import { buildAuthorizationRequest, discoverIssuer, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

vi.setConfig({ testTimeout: 60_000 });

const PASSWORD = 'a long and memorable passphrase';
let app: TestApp;
let chromium: Browser;
let rp: oidc.Configuration;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startTestApp(), launchChromium()]);
  await app.context.rolesAndGroups.defineGroup({ name: 'payroll' }, { by: 'admin-cli' });
  const client = await app.context.clients.register({
    name: 'Payroll', redirectUris: [RP_REDIRECT_URI], requiredGroups: ['payroll'],
  });
  rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  await app.context.users.create({ email: 'nopay@example.test', password: PASSWORD, emailVerified: true });
});
afterAll(async () => {
  await chromium?.close();
  await app?.close();
});

describe('no access to an app', () => {
  for (const javaScriptEnabled of [true, false]) {
    test(`says so, passes axe, and returns access_denied to the app (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const context = await chromium.newContext({ javaScriptEnabled });
      // The app's redirect URI is not served here: the browser's request for it is what counts.
      let callback: URL | undefined;
      context.on('request', (sent) => {
        if (sent.url().startsWith(RP_REDIRECT_URI)) callback = new URL(sent.url());
      });
      const page = await context.newPage();
      const request = await buildAuthorizationRequest(rp, { scope: 'openid' });
      await page.goto(request.url.href);
      await page.getByLabel('Email address').fill('nopay@example.test');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('No access to this application');
      // axe runs as script in the page, so only where the page may run script.
      if (javaScriptEnabled) await expectNoAxeViolations(page);

      await page.getByRole('button', { name: 'Return to Payroll' }).click();
      await expect.poll(() => callback?.searchParams.get('error')).toBe('access_denied');
      expect(callback!.searchParams.get('error_description')).toBe('the account has no access to this application');
      expect(callback!.searchParams.get('state')).toBe(request.state);
      await context.close();
    });
  }
});
