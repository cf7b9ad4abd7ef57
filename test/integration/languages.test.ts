// The hosted pages' language: `ui_locales` from the app, the person's own choice (the footer's
// picker, remembered in a cookie), then Accept-Language, then English; the languages are in
// discovery, and the picker sends nobody off-site.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sendQueuedMail } from '../helpers/accounts.js';
import { Browser, textOf, type Page } from '../helpers/browser.js';
import { latestMailTo } from '../helpers/outbox.js';
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

describe('mails', () => {
  test('an account registered after a German sign-in page gets its confirmation mail in German', async () => {
    const browser = new Browser();
    await signInPage(browser, { ui_locales: 'de' });
    const register = await browser.get(`${app.issuer}/account/register`);
    expect(register.status).toBe(200);
    // Not yet translated: drawn in English and saying so, with German selected in the picker.
    expect(langOf(register)).toBe('en');
    expect(register.body).toMatch(/<option value="de" lang="de" selected>/);
    const email = 'neu@example.test';
    await browser.submit(register, { form: (form) => form.method === 'POST', fields: { email, name: 'Nora', password: PASSWORD } });
    await sendQueuedMail({ app: app.app });
    const mail = latestMailTo(app.config.mail.outboxDir, email);
    expect(mail?.subject).toBe('Bestätigen Sie Ihre E-Mail-Adresse');
    expect(mail?.text).toContain('Hallo Nora,');
    expect(mail?.text).toContain('Der Link gilt einmal und läuft in 24 Stunden ab.');
    expect(mail?.text).toContain('Diese Nachricht wurde von Gatehouse gesendet');
    expect(mail?.html).toContain('<html lang="de">');
  });

  test('the language of a person\'s latest sign-in is the one their reset mail is written in', async () => {
    const email = 'latest-es@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browser = new Browser();
    const page = await signInPage(browser, { ui_locales: 'es' });
    const done = await browser.submit(page, { button: 'Iniciar sesión', fields: { email, password: PASSWORD }, followOrigins: [app.issuer] });
    expect(done.status).toBeLessThan(500);
    expect((await app.context.users.findByEmail(email))?.locale).toBe('es');

    const elsewhere = new Browser();
    const forgot = await elsewhere.get(`${app.issuer}/account/forgot-password`);
    await elsewhere.submit(forgot, { form: (form) => form.method === 'POST', fields: { email } });
    await sendQueuedMail({ app: app.app });
    const mail = latestMailTo(app.config.mail.outboxDir, email);
    expect(mail?.subject).toBe('Restablece tu contraseña');
    expect(mail?.text).toContain('Alguien ha pedido restablecer la contraseña de tu cuenta.');
  });
});
