// Where the hosted journeys lead, over real HTTP: the sign-in page's links to registration and reset
// (registration's only while it is open), their way back, values in the query that name no live
// interaction or no registered client leading nowhere but our own pages, and the ends of unlock
// and of a first two-factor enrolment during sign-in.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles, linkFromMail, relyingParty, uniqueEmail } from '../helpers/accounts.js';
import { Browser, setupKeyOf, type Page } from '../helpers/browser.js';
import { buildAuthorizationRequest, exchangeCode, RP_REDIRECT_URI, type AuthorizationRequest } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { settleStep, totpCode } from '../helpers/totp.js';

const PASSWORD = 'a long and memorable passphrase';
const settings = createSettingsFiles('journeys');
afterAll(() => settings.remove());

interface Flow { request: AuthorizationRequest; page: Page; uid: string }

async function authorize(browser: Browser, rp: oidc.Configuration): Promise<Flow> {
  const request = await buildAuthorizationRequest(rp, { scope: 'openid' });
  const page = await browser.get(request.url.href, { followOrigins: [request.url.origin] });
  expect(page.status).toBe(200);
  const uid = /\/interaction\/([A-Za-z0-9_-]+)$/.exec(new URL(page.url).pathname)?.[1];
  expect(uid).toBeDefined();
  return { request, page, uid: uid! };
}

/** Allows consent when asked, and exchanges the code the relying party gets. */
async function expectCodeAtApp(rp: oidc.Configuration, browser: Browser, flow: Flow, page: Page): Promise<void> {
  let last = page;
  if (last.status === 200 && last.body.includes('<h1>Allow access?</h1>')) last = await browser.submit(last, { button: 'Allow' });
  expect(last.location?.startsWith(RP_REDIRECT_URI), last.body).toBe(true);
  const tokens = await exchangeCode(rp, { request: flow.request, callbackUrl: new URL(last.location!) });
  expect(tokens.access_token).toBeTruthy();
}

function journeyCookieSet(page: Page): boolean {
  return page.headers.getSetCookie().some((cookie) => cookie.startsWith('gatehouse.journey='));
}

describe('journeys with registration open', () => {
  let app: TestApp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('open', { lockout: { maxFailures: 3 } }) } });
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  it('links the sign-in page to registration and reset with its interaction, and those pages back to it', async () => {
    const browser = new Browser();
    const flow = await authorize(browser, rp);
    expect(flow.page.body).toContain(`href="/account/register?interaction=${flow.uid}"`);
    expect(flow.page.body).toContain(`href="/account/forgot-password?interaction=${flow.uid}"`);

    const register = await browser.get(`${app.issuer}/account/register?interaction=${flow.uid}`);
    expect(register.status).toBe(200);
    const cookie = register.headers.getSetCookie().find((value) => value.startsWith('gatehouse.journey='));
    expect(cookie).toMatch(/; path=\/account;/);
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=lax/i);
    expect(register.body).toContain('Already have an account?');
    expect(register.body).toContain(`href="/interaction/${flow.uid}"`);
    expect(register.body).toContain('id="password-rules"');
    const { minLength, maxLength } = app.config.settings.passwordPolicy;
    expect(register.body).toContain(`Use ${minLength} to ${maxLength} characters`);

    const forgot = await browser.get(`${app.issuer}/account/forgot-password?interaction=${flow.uid}`);
    expect(forgot.body).toContain(`href="/interaction/${flow.uid}"`);
    const sent = await browser.submit(forgot, { button: 'Send the reset link', fields: { email: 'nobody@example.test' } });
    expect(new URL(sent.url).pathname).toBe('/account/forgot-password/sent');
    expect(sent.body).toContain(`href="/interaction/${flow.uid}"`);

    // Someone else's browser given this link cannot carry the sign-in on: it lacks the provider's
    // interaction cookie, so the way back ends on the expired page, not signed in as anyone.
    const other = new Browser();
    const borrowed = await other.get(`${app.issuer}/account/register?interaction=${flow.uid}`);
    expect(borrowed.body).toContain(`href="/interaction/${flow.uid}"`);
    const refused = await other.get(`${app.issuer}/interaction/${flow.uid}`, { followRedirects: false });
    expect(refused.status).toBe(400);
    expect(refused.body).not.toContain('name="password"');

    // Opened directly, with no sign-in behind it, the way back is the account's own sign-in.
    const direct = await new Browser().get(`${app.issuer}/account/register`);
    expect(direct.body).toContain('Already have an account?');
    expect(direct.body).toContain('href="/account">Sign in</a>');
  });

  it('refuses bad or unknown interaction values without remembering them or going anywhere else', async () => {
    const browser = new Browser();
    const values = ['../../evil', 'https://evil.example/', '\r\nSet-Cookie: x=1', 'A'.repeat(200), 'WellFormedButUnknown12345', ''];
    for (const path of ['/account/register', '/account/forgot-password']) {
      for (const value of values) {
        const page = await browser.get(`${app.issuer}${path}?interaction=${encodeURIComponent(value)}`, { followRedirects: false });
        expect(page.status, value).toBe(200);
        expect(page.location).toBeUndefined();
        expect(journeyCookieSet(page), value).toBe(false);
        expect(page.body).toContain('href="/account">Sign in</a>');
        expect(page.body).not.toContain('evil');
      }
      // Two values for the parameter are one too many.
      const twice = await browser.get(`${app.issuer}${path}?interaction=a&interaction=b`, { followRedirects: false });
      expect(twice.status).toBeLessThan(500);
      expect(journeyCookieSet(twice)).toBe(false);
    }
  });

  it('ends a done page at a registered client only, whatever ?client= says', async () => {
    const clientId = rp.clientMetadata().client_id;
    for (const path of ['/account/verify-email/done', '/account/reset-password/done', '/account/unlock/done']) {
      const known = await new Browser().get(`${app.issuer}${path}?client=${encodeURIComponent(clientId)}`);
      expect(known.body).toContain(`href="${new URL(RP_REDIRECT_URI).origin}">Continue to Notebook</a>`);
      for (const value of ['https://evil.example/', 'unknown-client', 'javascript:alert(1)', 'x'.repeat(300)]) {
        const page = await new Browser().get(`${app.issuer}${path}?client=${encodeURIComponent(value)}`);
        expect(page.status).toBe(200);
        expect(page.body).toContain('href="/account">Sign in to your account</a>');
        expect(page.body).not.toContain('evil');
        expect(page.body).not.toContain('javascript:');
      }
    }
  });

  it('ends the lockout mail\'s unlock link by continuing the sign-in that was locked, in the same browser', async () => {
    const email = uniqueEmail('locked');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browser = new Browser();
    const flow = await authorize(browser, rp);
    let page = flow.page;
    for (let attempt = 0; attempt < 4 && page.status !== 429; attempt += 1) {
      page = await browser.submit(page, { button: 'Sign in', fields: { email, password: 'not the password at all' } });
    }
    expect(page.status).toBe(429);
    const link = await linkFromMail(app, email, 'Failed sign-ins to your account were blocked', '/account/unlock');

    const confirm = await browser.get(link);
    const done = await browser.submit(confirm, { button: 'Unlock account' });
    expect(new URL(done.url).pathname).toBe('/account/unlock/done');
    expect(done.body).toContain(`href="/interaction/${flow.uid}">Continue signing in to Notebook</a>`);

    const back = await browser.get(`${app.issuer}/interaction/${flow.uid}`);
    expect(back.body).toContain('Your account is unlocked. Sign in to continue.');
    // Read once: the note is gone on the next visit.
    expect((await browser.get(`${app.issuer}/interaction/${flow.uid}`)).body).not.toContain('Your account is unlocked.');
    await expectCodeAtApp(rp, browser, flow, await browser.submit(back, { button: 'Sign in', fields: { email, password: PASSWORD } }));

    // Once that sign-in is over, the same browser's done page falls back to the app itself.
    const after = await browser.get(`${app.issuer}/account/unlock/done`);
    expect(after.body).toContain(`href="${new URL(RP_REDIRECT_URI).origin}">Continue to Notebook</a>`);
  });
});

describe('journeys with registration closed', () => {
  for (const policy of ['off', 'invite-only'] as const) {
    describe(`policy ${policy}`, () => {
      let app: TestApp;
      let rp: oidc.Configuration;
      beforeAll(async () => {
        app = await startTestApp({ env: { SETTINGS_FILE: settings.file(`closed-${policy}`, { registration: { policy } }) } });
        rp = await relyingParty(app);
      });
      afterAll(async () => { await app?.close(); });

      it('shows no "Create an account" link, but still the way to reset a password', async () => {
        const browser = new Browser();
        const flow = await authorize(browser, rp);
        expect(flow.page.body).not.toContain('Create an account');
        expect(flow.page.body).not.toContain('/account/register');
        expect(flow.page.body).toContain(`href="/account/forgot-password?interaction=${flow.uid}"`);
        const register = await browser.get(`${app.issuer}/account/register?interaction=${flow.uid}`, { followRedirects: false });
        expect(register.status).toBe(policy === 'off' ? 404 : 403);
        expect(journeyCookieSet(register)).toBe(false);
      });
    });
  }
});

describe('a first two-factor enrolment during sign-in', () => {
  let app: TestApp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('two-factor', { twoFactor: { policy: { mode: 'required' } } }) } });
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  it('ends by continuing to the app that asked', async () => {
    const email = uniqueEmail('enrol');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browser = new Browser();
    const flow = await authorize(browser, rp);
    const enrol = await browser.submit(flow.page, { button: 'Sign in', fields: { email, password: PASSWORD } });
    const secret = setupKeyOf(enrol);
    await settleStep();
    const ready = await browser.submit(enrol, { button: 'Turn on two-factor sign-in', fields: { code: totpCode(secret, Date.now()) } });
    expect(ready.body).toContain('<h1>Two-factor sign-in is on</h1>');
    expect(ready.body).toContain('Continue to Notebook</button>');
    await expectCodeAtApp(rp, browser, flow, await browser.submit(ready, { button: 'Continue to Notebook' }));
  });
});
