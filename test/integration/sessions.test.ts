// Sessions a person can see and end: /account/sessions lists every signed-in browser
// with this one marked, signs out one or every other, and the apps those sessions used hear of it;
// "remember me" decides between a browser-session cookie and a lasting one; the session limit
// ends the oldest sign-in.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asksForPassword, createSettingsFiles, storageVariants, uniqueEmail } from '../helpers/accounts.js';
import { Browser } from '../helpers/browser.js';
import {
  openAccountPage, SESSION_TEST_PASSWORD, sessionUidsOn, startBackchannelReceiver, validateLogoutToken, type BackchannelReceiver,
} from '../helpers/sessions.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = SESSION_TEST_PASSWORD;
const settings = createSettingsFiles('gh-sessions-');
afterAll(() => settings.remove());

const FAST_BACKCHANNEL = {
  sessions: {
    maxPerAccount: 3,
    backchannelLogout: { allowPrivateAddresses: true, pollIntervalMs: 100, baseDelaySeconds: 1, maxDelaySeconds: 1, timeoutMs: 2000 },
  },
};

describe.each(storageVariants)('account sessions on $name', ({ options }) => {
  let app: TestApp;
  let receiver: BackchannelReceiver;
  let rp: oidc.Configuration;
  let clientId: string;

  beforeAll(async () => {
    receiver = await startBackchannelReceiver();
    app = await startTestApp({ ...options, env: { SETTINGS_FILE: settings.file('fast', FAST_BACKCHANNEL) } });
    const client = await app.context.clients.register({ name: 'Notebook', redirectUris: [RP_REDIRECT_URI], backchannelLogoutUri: receiver.uri });
    clientId = client.clientId;
    rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
  });

  it('lists where the person is signed in, marks this device, and signs out another one; its app hears of it', async () => {
    const email = uniqueEmail('ada');
    const user = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const laptop = new Browser();
    const signedIn = await signIn(laptop, rp, { email, password: PASSWORD });
    const tokens = await exchangeCode(rp, signedIn);
    expect(tokens.refresh_token).toBeDefined();

    const phone = new Browser();
    const page = await openAccountPage(app, phone, '/account/sessions', email, { remember: true });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Where you&#39;re signed in');
    expect(sessionUidsOn(page)).toHaveLength(2);
    expect(page.body.match(/This device/g)).toHaveLength(1);
    expect(page.body).toContain('Notebook');
    expect(page.body).toContain('127.0.0.1');
    expect(page.body).toContain('Ends when the browser closes');
    expect(page.body).toContain('Remembered');
    expect(page.body).toContain('src="/assets/sessions.js"');

    const from = receiver.tokens.length;
    const done = await phone.submit(page, { button: /^Sign out$/, form: (form) => form.fields.session !== undefined });
    expect(done.status).toBe(200);
    expect(done.body).toContain('That session was signed out.');
    expect(sessionUidsOn(done)).toHaveLength(1);
    expect(await asksForPassword(laptop, rp)).toBe(true);
    expect(await asksForPassword(phone, rp)).toBe(false);
    // The refresh token was bound to the ended session (no offline_access).
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const token = await receiver.waitFor(async (candidate) => (await validateLogoutToken(candidate, { issuer: app.issuer, clientId })).sub === user.id, { from });
    const claims = await validateLogoutToken(token, { issuer: app.issuer, clientId });
    expect(claims.sid).toEqual(expect.any(String));
    if (tokens.claims()?.sid) expect(claims.sid).toBe(tokens.claims()!.sid);

    const audit = await app.context.audit.query({ accountId: user.id, type: 'session.ended', since: new Date(Date.now() - 60_000), limit: 10 });
    expect(audit.events.map((event) => event.detail.reason)).toEqual(['signed-out']);
  });

  it('signs out everywhere else, keeping this browser', async () => {
    const email = uniqueEmail('grace');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const others = [new Browser(), new Browser()];
    for (const browser of others) await signIn(browser, rp, { email, password: PASSWORD });
    const mine = new Browser();
    const page = await openAccountPage(app, mine, '/account/sessions', email);
    expect(sessionUidsOn(page)).toHaveLength(3);
    const done = await mine.submit(page, { button: 'Sign out everywhere else' });
    expect(done.body).toContain('Every other session was signed out.');
    expect(sessionUidsOn(done)).toHaveLength(1);
    for (const browser of others) expect(await asksForPassword(browser, rp)).toBe(true);
    expect(await asksForPassword(mine, rp)).toBe(false);
  });

  it('refuses a form without its CSRF token, and a session that is not one, with a readable answer', async () => {
    const email = uniqueEmail('alan');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const other = new Browser();
    await signIn(other, rp, { email, password: PASSWORD });
    const browser = new Browser();
    const page = await openAccountPage(app, browser, '/account/sessions', email);
    const forged = await browser.submit(page, { button: 'Sign out everywhere else', omit: ['csrf'] });
    expect(forged.status).toBe(403);
    const bad = await browser.submit(page, { button: /^Sign out$/, form: (form) => form.fields.session !== undefined, fields: { session: '../../etc' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Choose a session to sign out.');
    const gone = await browser.submit(page, { button: /^Sign out$/, form: (form) => form.fields.session !== undefined, fields: { session: 'no-such-session' } });
    expect(gone.body).toContain('That session had already ended.');
    expect(await asksForPassword(other, rp)).toBe(false);
  });

  it('remember me: without it the session cookie ends with the browser, with it the cookie lasts', async () => {
    const email = uniqueEmail('joan');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const sessionCookie = (browser: Browser) => browser.history.flatMap((page) => page.headers.getSetCookie()).filter((cookie) => /^_session=/.test(cookie)).at(-1);
    const forgetful = new Browser();
    await openAccountPage(app, forgetful, '/account', email);
    expect(sessionCookie(forgetful)).toBeDefined();
    expect(sessionCookie(forgetful)).not.toMatch(/expires=/i);
    const remembering = new Browser();
    await openAccountPage(app, remembering, '/account', email, { remember: true });
    const expires = /expires=([^;]+)/i.exec(sessionCookie(remembering)!)?.[1];
    expect(expires).toBeDefined();
    // The idle timeout (7 days by default) comes first; the 30 days are the absolute limit.
    expect(Date.parse(expires!) - Date.now()).toBeGreaterThan(6 * 86_400_000);
  });

  it('ends the oldest sign-in beyond sessions.maxPerAccount', async () => {
    const email = uniqueEmail('barbara');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browsers = [new Browser(), new Browser(), new Browser(), new Browser()];
    for (const browser of browsers) {
      await signIn(browser, rp, { email, password: PASSWORD });
      // login_at has one-second resolution: keep the order of sign-ins unambiguous.
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    expect(await asksForPassword(browsers[0]!, rp)).toBe(true);
    for (const browser of browsers.slice(1)) expect(await asksForPassword(browser, rp)).toBe(false);
  });
});
