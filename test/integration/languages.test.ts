// The hosted pages' language: `ui_locales` from the app, the person's own choice (the footer's
// picker, remembered in a cookie), then Accept-Language, then English; the languages are in
// discovery, and the picker sends nobody off-site.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Browser, textOf, type Page } from '../helpers/browser.js';
import { buildAuthorizationRequest, discoverIssuer, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
let app: TestApp;
let rp: oidc.Configuration;

beforeAll(async () => {
  app = await startTestApp();
  const client = await app.context.clients.register({ name: 'Payroll', redirectUris: [RP_REDIRECT_URI] });
  rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  await app.context.users.create({ email: 'lang@example.test', password: PASSWORD, emailVerified: true });
});
afterAll(() => app?.close());

async function signInPage(browser: Browser, extraParams: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Page> {
  const request = await buildAuthorizationRequest(rp, { extraParams });
  const page = await browser.get(request.url.href, { headers });
  expect(page.status, page.body).toBe(200);
  expect(new URL(page.url).pathname).toMatch(/^\/interaction\/[\w-]+$/);
  return page;
}

const langOf = (page: Page) => /<html lang="([a-z]{2})">/.exec(page.body)?.[1];

test('discovery lists the languages the pages are written in', async () => {
  const metadata = await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
  expect(metadata.ui_locales_supported).toEqual(['en', 'de', 'fr', 'es']);
});

describe('the sign-in page', () => {
  test('is in English by default', async () => {
    const page = await signInPage(new Browser());
    expect(langOf(page)).toBe('en');
    expect(page.headers.get('content-language')).toBe('en');
    expect(page.body).toContain('<h1>Sign in</h1>');
  });

  test('ui_locales=de gives German, and its refusals are German too', async () => {
    const browser = new Browser();
    const page = await signInPage(browser, { ui_locales: 'de-CH fr' });
    expect(langOf(page)).toBe('de');
    expect(page.body).toContain('<title>Anmelden · Gatehouse</title>');
    expect(page.body).toContain('<label for="email">E-Mail-Adresse</label>');
    expect(page.body).toContain('um mit <strong>Payroll</strong> fortzufahren');
    const refused = await browser.submit(page, { button: 'Anmelden', fields: { email: 'lang@example.test', password: 'wrong password here' } });
    expect(refused.status).toBe(400);
    expect(textOf(refused)).toContain('E-Mail-Adresse oder Passwort ist falsch.');
    expect(langOf(refused)).toBe('de');
  });

  test('the first ui_locales tag served wins; unknown ones are skipped', async () => {
    expect(langOf(await signInPage(new Browser(), { ui_locales: 'ja x-unknown es-MX de' }))).toBe('es');
  });

  test('without ui_locales, Accept-Language decides', async () => {
    const page = await signInPage(new Browser(), {}, { 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.5' });
    expect(langOf(page)).toBe('fr');
    expect(page.body).toContain('Mot de passe oublié ?');
  });

  test('a language picked during the sign-in outranks its ui_locales; one picked before does not', async () => {
    const browser = new Browser();
    // Picked before this sign-in began: the app's ui_locales still wins.
    await browser.get(`${app.issuer}/language?lang=fr&return=/account`, { followRedirects: false });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const page = await signInPage(browser, { ui_locales: 'de' });
    expect(langOf(page)).toBe('de');
    // The picker: a GET form naming this page to come back to.
    const picked = await browser.submit(page, { button: 'Sprache ändern', fields: { lang: 'es' } });
    expect(picked.url).toBe(page.url);
    expect(langOf(picked)).toBe('es');
    expect(picked.body).toContain('<h1>Iniciar sesión</h1>');
    // And it stays through the next step of the same sign-in.
    const refused = await browser.submit(picked, { button: 'Iniciar sesión', fields: { email: 'lang@example.test', password: 'wrong password here' } });
    expect(langOf(refused)).toBe('es');
  });
});

describe('the language picker', () => {
  test('goes back only to a path on this site', async () => {
    for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const answer = await new Browser().get(`${app.issuer}/language?lang=de&return=${encodeURIComponent(evil)}`, { followRedirects: false });
      expect(answer.status, evil).toBe(302);
      expect(answer.location, evil).toBe(`${app.issuer}/account`);
    }
    const home = await new Browser().get(`${app.issuer}/language?lang=de&return=${encodeURIComponent('/account/forgot-password?x=1')}`, { followRedirects: false });
    expect(home.location).toBe(`${app.issuer}/account/forgot-password?x=1`);
  });

  test('refuses a language it does not offer with a readable page', async () => {
    const answer = await new Browser().get(`${app.issuer}/language?lang=xx&return=/account`, { followRedirects: false });
    expect(answer.status).toBe(400);
    expect(textOf(answer)).toContain('Choose one of the languages offered.');
  });
});
