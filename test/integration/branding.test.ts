// The deployment's own look (settings `branding`): its name, logo, colour and support contact on
// every page and mail, an app's logo on its sign-in page only from an allowed origin, and the CSP
// widened by exactly those origins. A colour too light for white text is refused at start.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Browser, textOf } from '../helpers/browser.js';
import { createSettingsFiles, sendQueuedMail } from '../helpers/accounts.js';
import { latestMailTo } from '../helpers/outbox.js';
import { buildAuthorizationRequest, discoverIssuer, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#0a7"/></svg>';
const settingsFiles = createSettingsFiles('gatehouse-branding-');
const logoDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-logo-'));
const logoFile = path.join(logoDir, 'acme.svg');
let app: TestApp;

const BRANDING = {
  productName: 'Acme ID', primaryColour: '#7c3aed', logoFile, logoOrigins: ['https://cdn.acme.test'], supportContact: 'help@acme.test',
};

beforeAll(async () => {
  writeFileSync(logoFile, LOGO_SVG);
  app = await startTestApp({ env: { SETTINGS_FILE: settingsFiles.file('branding', { branding: BRANDING }) } });
});
afterAll(async () => {
  await app?.close();
  settingsFiles.remove();
  rmSync(logoDir, { recursive: true, force: true });
});

async function signInPageFor(logoUri: string | undefined) {
  const client = await app.context.clients.register({ name: 'Payroll', redirectUris: [RP_REDIRECT_URI], ...(logoUri ? { logoUri } : {}) });
  const rp: oidc.Configuration = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  const request = await buildAuthorizationRequest(rp);
  return new Browser().get(request.url.href);
}

describe('pages', () => {
  test('carry the product name, logo, colour and support contact', async () => {
    const page = await signInPageFor(undefined);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Sign in · Acme ID</title>');
    expect(page.body).not.toContain('Gatehouse</');
    const logoSrc = /<img class="brand-logo" src="([^"]+)" alt="Acme ID"/.exec(page.body)?.[1];
    expect(logoSrc).toMatch(/^\/branding\/logo\?v=[\w-]+$/);
    expect(textOf(page)).toContain('Need help? Contact help@acme.test');
    expect(page.body).toContain('href="mailto:help@acme.test"');

    const logo = await fetch(`${app.issuer}${logoSrc}`);
    expect(logo.headers.get('content-type')).toBe('image/svg+xml');
    expect(await logo.text()).toBe(LOGO_SVG);

    const themeHref = /<link rel="stylesheet" href="(\/branding\/theme\.css\?v=[\w-]+)">/.exec(page.body)?.[1];
    const theme = await fetch(`${app.issuer}${themeHref}`);
    expect(theme.headers.get('content-type')).toContain('text/css');
    expect(await theme.text()).toContain('--primary: #7c3aed;');
  });

  test('show an app logo from an allowed origin, and the CSP lets exactly that origin in', async () => {
    const page = await signInPageFor('https://cdn.acme.test/payroll.png');
    expect(page.body).toContain('<img class="client-logo" src="https://cdn.acme.test/payroll.png" alt=""');
    expect(page.headers.get('content-security-policy')).toContain("img-src 'self' data: https://cdn.acme.test;");
  });

  test('never show an app logo from another origin', async () => {
    const page = await signInPageFor('https://tracker.example/pixel.png');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('tracker.example');
    expect(page.body).not.toContain('client-logo');
  });
});

test('mails are signed with the product name and support contact', async () => {
  const email = 'brand-mail@example.test';
  await app.context.users.create({ email, password: 'a long and memorable passphrase', emailVerified: true });
  const browser = new Browser();
  const form = await browser.get(`${app.issuer}/account/forgot-password`);
  expect(form.status).toBe(200);
  await browser.submit(form, { fields: { email } });
  await sendQueuedMail({ app: app.app });
  const mail = latestMailTo(app.config.mail.outboxDir, email);
  if (!mail) throw new Error('no reset mail');
  expect(mail.text).toContain('This message was sent by Acme ID, the sign-in service for your account.');
  expect(mail.text).toContain('For help, contact help@acme.test.');
  expect(mail.html).toContain('This message was sent by Acme ID');
});

describe('settings', () => {
  test('refuse a primary colour white text cannot be read on, naming the path and the ratio', () => {
    const file = settingsFiles.file('pale', { branding: { ...BRANDING, primaryColour: '#f59e0b' } });
    expect(() => loadConfig({ env: { ...process.env, SETTINGS_FILE: file } as NodeJS.ProcessEnv }))
      .toThrow(/branding\.primaryColour.*4\.5:1.*#f59e0b has 2\.15:1/s);
  });

  test('refuse a logo origin that is not a plain https origin', () => {
    const file = settingsFiles.file('origin', { branding: { ...BRANDING, logoOrigins: ['http://cdn.acme.test'] } });
    expect(() => loadConfig({ env: { ...process.env, SETTINGS_FILE: file } as NodeJS.ProcessEnv })).toThrow(/branding\.logoOrigins/);
  });
});
