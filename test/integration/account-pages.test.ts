// The signed-in account pages through real HTTP: signing in to /account through Gatehouse itself,
// profile, password change (this browser stays, every other session and refresh token ends),
// email change (link to the new address, notice to the old one), deactivation and deletion.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.js';
import { latestMailTo } from '../helpers/outbox.js';
import { buildAuthorizationRequest, signIn } from '../helpers/relying-party.js';
import {
  appWithRelyingParty, asksForPassword, createSettingsFiles, linkFromMail, relyingParty, signInOffline, storageVariants, uniqueEmail,
} from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const NEW_PASSWORD = 'another entirely different passphrase';
const settings = createSettingsFiles('gh-account-pages-');
afterAll(() => settings.remove());

/** Opens an account page, signing in on the real login form when sent there. */
async function openAccountPage(app: TestApp, browser: Browser, path: string, email: string, password: string): Promise<Page> {
  let page = await browser.get(`${app.issuer}${path}`);
  if (page.body.includes('name="password"') && /\/interaction\//.test(page.url)) {
    page = await browser.submit(page, { button: 'Sign in', fields: { email, password } });
  }
  return page;
}

async function refreshFails(rp: oidc.Configuration, refreshToken: string): Promise<boolean> {
  try {
    await oidc.refreshTokenGrant(rp, refreshToken);
    return false;
  } catch (error) {
    expect((error as { error?: string }).error).toBe('invalid_grant');
    return true;
  }
}

describe.each(storageVariants)('account pages on $name', ({ options }) => {
  const env = appWithRelyingParty(options);

  it('signs in to /account through the login page, without a consent step, and returns to the page asked for', async () => {
    const email = uniqueEmail('ada');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Ada Lovelace' });
    const browser = new Browser();
    const first = await browser.get(`${env.app.issuer}/account/password`);
    expect(first.url).toMatch(/\/interaction\//);
    expect(first.body).toContain('your Gatehouse account');
    const page = await browser.submit(first, { button: 'Sign in', fields: { email, password: PASSWORD } });
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toBe('/account/password');
    expect(page.headers.get('cache-control')).toBe('no-store');

    const home = await browser.get(`${env.app.issuer}/account`);
    expect(home.status).toBe(200);
    expect(home.body).toContain(email);
    expect(home.body).toContain('value="Ada Lovelace"');
    // The same browser session serves relying parties too (single sign-on).
    expect(await asksForPassword(browser, env.rp)).toBe(false);
  });

  it('refuses a callback whose state this browser did not start, and never redirects off the account pages', async () => {
    const browser = new Browser();
    const forged = await browser.get(`${env.app.issuer}/account/signed-in?code=abc&state=forged`);
    expect(forged.status).toBe(400);
    expect(forged.body).toContain('This sign-in has expired or was started in another browser.');
    const start = await browser.get(`${env.app.issuer}/account/sign-in?return=https://evil.example/`, { followRedirects: false });
    expect(start.status).toBe(303);
    const authorize = new URL(start.location!);
    expect(authorize.pathname).toBe('/auth');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe('gatehouse-account');
    const email = uniqueEmail('eve');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    let page = await browser.get(start.location!);
    page = await browser.submit(page, { button: 'Sign in', fields: { email, password: PASSWORD } });
    expect(new URL(page.url).pathname).toBe('/account');
  });

  it('saves the profile and keeps what was typed when a field is refused', async () => {
    const email = uniqueEmail('grace');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Grace' });
    const browser = new Browser();
    const home = await openAccountPage(env.app, browser, '/account', email, PASSWORD);
    const refused = await browser.submit(home, { button: 'Save profile', fields: { name: '', givenName: 'Grace B.', familyName: 'x'.repeat(101) } });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Enter your name.');
    expect(refused.body).toContain('value="Grace B."');
    const saved = await browser.submit(home, { button: 'Save profile', fields: { name: 'Grace Hopper', givenName: 'Grace', familyName: 'Hopper' } });
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('Your profile was saved.');
    const user = await env.app.context.users.findById((await env.app.context.users.authenticateWithPassword(email, PASSWORD))!.id);
    expect(user).toMatchObject({ name: 'Grace Hopper', givenName: 'Grace', familyName: 'Hopper' });
  });

  it('changes the password: this browser stays, other sessions and their refresh tokens end, a notice is mailed', async () => {
    const email = uniqueEmail('alan');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Alan Turing' });
    const elsewhere = new Browser();
    const tokens = await signInOffline(elsewhere, env.rp, email, PASSWORD);
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const browser = new Browser();
    const here = await signInOffline(browser, env.rp, email, PASSWORD);
    const form = await openAccountPage(env.app, browser, '/account/password', email, PASSWORD);
    const wrong = await browser.submit(form, { button: 'Change password', fields: { currentPassword: 'not my password at all', password: NEW_PASSWORD } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('That is not your current password.');
    const weak = await browser.submit(form, { button: 'Change password', fields: { currentPassword: PASSWORD, password: 'short' } });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatch(/at least 12 characters/);

    const done = await browser.submit(form, { button: 'Change password', fields: { currentPassword: PASSWORD, password: NEW_PASSWORD } });
    expect(done.status).toBe(200);
    expect(new URL(done.url).pathname).toBe('/account');
    expect(done.body).toContain('Every other session of your account was signed out.');

    expect(await refreshFails(env.rp, tokens.refresh_token!)).toBe(true);
    expect(await asksForPassword(elsewhere, env.rp)).toBe(true);
    // The session that made the change keeps its own grant.
    expect(await asksForPassword(browser, env.rp)).toBe(false);
    expect((await oidc.refreshTokenGrant(env.rp, here.refresh_token!)).access_token).toEqual(expect.any(String));
    expect(latestMailTo(env.app.config.mail.outboxDir, email)?.subject).toBe('Your password was changed');
    expect(await env.app.context.users.authenticateWithPassword(email, PASSWORD)).toBeUndefined();
    expect(await env.app.context.users.authenticateWithPassword(email, NEW_PASSWORD)).toBeDefined();
    const audit = await env.app.context.audit.query({ email, type: 'password.changed', since: new Date(Date.now() - 60_000), limit: 10 });
    expect(audit.events.map((event) => [event.outcome, event.detail])).toEqual([
      ['success', {}], ['failure', { reason: 'wrong_current_password' }],
    ]);
  });

  it('changes the email address through a link to the new address and tells the old one', async () => {
    const email = uniqueEmail('mary');
    const newEmail = uniqueEmail('mary.new');
    const taken = uniqueEmail('taken');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Mary' });
    await env.app.context.users.create({ email: taken, password: PASSWORD, emailVerified: true, name: 'Taken' });
    const browser = new Browser();
    const form = await openAccountPage(env.app, browser, '/account/email', email, PASSWORD);
    const badPassword = await browser.submit(form, { button: 'Send confirmation link', fields: { email: newEmail, currentPassword: 'wrong password here' } });
    expect(badPassword.status).toBe(400);
    expect(badPassword.body).toContain(`value="${newEmail}"`);

    // An address with an account gets the same answer; its owner is told instead.
    const takenAnswer = await browser.submit(form, { button: 'Send confirmation link', fields: { email: taken, currentPassword: PASSWORD } });
    expect(new URL(takenAnswer.url).pathname).toBe('/account/email/sent');
    expect(latestMailTo(env.app.config.mail.outboxDir, taken)?.subject).toBe('Someone tried to use your email address');

    const sent = await browser.submit(form, { button: 'Send confirmation link', fields: { email: newEmail, currentPassword: PASSWORD } });
    expect(new URL(sent.url).pathname).toBe('/account/email/sent');
    expect(sent.body).toBe(takenAnswer.body);
    const link = await linkFromMail(env.app, newEmail, 'Confirm your new email address', '/account/email/confirm');
    // Nothing changes until the link is used; a GET (a mail scanner) does not spend it.
    const phone = new Browser();
    const confirmPage = await phone.get(link);
    expect(confirmPage.status).toBe(200);
    expect(await env.app.context.users.authenticateWithPassword(email, PASSWORD)).toBeDefined();

    const changed = await phone.submit(confirmPage, { button: 'Confirm new address' });
    expect(new URL(changed.url).pathname).toBe('/account/email/changed');
    const user = await env.app.context.users.authenticateWithPassword(newEmail, PASSWORD);
    expect(user).toMatchObject({ email: newEmail, emailVerified: true });
    expect(await env.app.context.users.authenticateWithPassword(email, PASSWORD)).toBeUndefined();
    const notice = latestMailTo(env.app.config.mail.outboxDir, email);
    expect(notice?.subject).toBe('The email address of your account was changed');
    expect(notice?.text).toContain(newEmail);

    const reused = await phone.submit(confirmPage, { button: 'Confirm new address' });
    expect(reused.status).toBe(400);
    expect(reused.body).toContain('This confirmation link has expired, was already used, or is incomplete.');
  });

  it('limits how often the password can be asked again, even when the right one comes last', async () => {
    const email = uniqueEmail('brute');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browser = new Browser();
    const form = await openAccountPage(env.app, browser, '/account/password', email, PASSWORD);
    let last: Page | undefined;
    for (let attempt = 0; attempt < 11; attempt += 1) {
      last = await browser.submit(form, { button: 'Change password', fields: { currentPassword: `guess number ${attempt} here`, password: NEW_PASSWORD } });
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    const right = await browser.submit(form, { button: 'Change password', fields: { currentPassword: PASSWORD, password: NEW_PASSWORD } });
    expect(right.status).toBe(429);
    expect(right.body).toMatch(/Too many attempts\. Try again in/);
  });

  it('deactivates: signed out everywhere, and signing in again reactivates (accounts.reactivation = sign-in)', async () => {
    const email = uniqueEmail('deact');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const elsewhere = new Browser();
    const tokens = await signInOffline(elsewhere, env.rp, email, PASSWORD);
    const browser = new Browser();
    const close = await openAccountPage(env.app, browser, '/account/close', email, PASSWORD);
    const done = await browser.submit(close, { button: 'Deactivate account', fields: { currentPassword: PASSWORD } });
    expect(new URL(done.url).pathname).toBe('/account/closed');
    expect(done.body).toContain('You were signed out everywhere.');
    expect(await refreshFails(env.rp, tokens.refresh_token!)).toBe(true);
    expect(await asksForPassword(elsewhere, env.rp)).toBe(true);
    const home = await browser.get(`${env.app.issuer}/account`);
    expect(home.url).toMatch(/\/interaction\//);
    expect(latestMailTo(env.app.config.mail.outboxDir, email)?.subject).toBe('Your account was deactivated');

    await signInOffline(new Browser(), env.rp, email, PASSWORD);
    expect((await env.app.context.users.authenticateWithPassword(email, PASSWORD))?.status).toBe('active');
  });

  it('deletes: asks for DELETE, removes the account and its tokens, keeps nothing that signs in', async () => {
    const email = uniqueEmail('gone');
    const user = await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Gone Soon' });
    const tokens = await signInOffline(new Browser(), env.rp, email, PASSWORD);
    const browser = new Browser();
    const close = await openAccountPage(env.app, browser, '/account/close', email, PASSWORD);
    const unconfirmed = await browser.submit(close, { button: 'Delete account', fields: { currentPassword: PASSWORD, confirmation: 'delete?' } });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body).toContain('Type DELETE to confirm');
    expect(await env.app.context.users.findById(user.id)).toBeDefined();

    const done = await browser.submit(close, { button: 'Delete account', fields: { currentPassword: PASSWORD, confirmation: 'DELETE' } });
    expect(new URL(done.url).pathname).toBe('/account/closed');
    expect(done.body).toContain('Your account and its personal data were removed');
    expect(await env.app.context.users.findById(user.id)).toBeUndefined();
    expect(await refreshFails(env.rp, tokens.refresh_token!)).toBe(true);
    const sessions = await env.app.context.database.query('SELECT 1 FROM account_sessions WHERE account_id = $1', [user.id]);
    expect(sessions.rowCount).toBe(0);
    expect(latestMailTo(env.app.config.mail.outboxDir, email)?.subject).toBe('Your account was deleted');
    // The audit trail keeps its rows with the account id only: no email, IP or user agent.
    const audit = await env.app.context.database.query<{ type: string; email: string | null; ip: string | null; user_agent: string | null }>(
      'SELECT type, email, ip, user_agent FROM audit_events WHERE account_id = $1 ORDER BY id', [user.id]);
    expect(audit.rows.map((row) => row.type)).toEqual(expect.arrayContaining(['login.success', 'account.deleted']));
    expect(audit.rows.every((row) => row.email === null && row.ip === null && row.user_agent === null)).toBe(true);
    expect(JSON.stringify(audit.rows)).not.toContain(email);
  });
});

describe('reactivation by an admin only', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('admin-reactivation', { accounts: { reactivation: 'admin', reauthenticationLimit: { points: 10, windowSeconds: 900 } } }) } });
  });
  afterAll(async () => { await app?.close(); });

  it('tells a deactivated person with the right password to ask the administrator, until an admin reactivates', async () => {
    const rp = await relyingParty(app);
    const email = uniqueEmail('admin.only');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browser = new Browser();
    const close = await openAccountPage(app, browser, '/account/close', email, PASSWORD);
    expect(close.body).toContain('ask the administrator to reactivate it');
    await browser.submit(close, { button: 'Deactivate account', fields: { currentPassword: PASSWORD } });

    const request = await buildAuthorizationRequest(rp, { scope: 'openid' });
    const other = new Browser();
    const login = await other.get(request.url.href, { followOrigins: [request.url.origin] });
    const wrong = await other.submit(login, { button: 'Sign in', fields: { email, password: 'not the password at all' } });
    expect(wrong.body).toContain('Incorrect email or password.');
    const refused = await other.submit(login, { button: 'Sign in', fields: { email, password: PASSWORD } });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('This account was deactivated. Ask the administrator to reactivate it.');

    await app.context.users.activate(email);
    await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid' });
  });
});
