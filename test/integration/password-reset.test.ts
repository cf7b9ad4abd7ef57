// Password reset through the real pages: the link is read from the .eml the app wrote to
// DATA_DIR/outbox, and a relying party (openid-client) holding a refresh token sees it die.
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMON_PASSWORD_MESSAGE } from '../../src/services/password-policy.js';
import { Browser, parseForms, type Page } from '../helpers/browser.js';
import { latestMailTo, linksIn, outboxFiles } from '../helpers/outbox.js';
import { signIn } from '../helpers/relying-party.js';
import {
  appWithRelyingParty, asksForPassword, createSettingsFiles, emailVerified, linkFromMail, sendQueuedMail, signInOffline, storageVariants, uniqueEmail, withoutCsrf,
} from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const OLD_PASSWORD = 'a long and memorable passphrase';
const NEW_PASSWORD = 'another entirely different passphrase';
const settings = createSettingsFiles('gh-password-reset-');
afterAll(() => settings.remove());




async function requestReset(app: TestApp, browser: Browser, email: string): Promise<{ form: Page; post: Page; final: Page }> {
  const form = await browser.get(`${app.issuer}/account/forgot-password`);
  expect(form.status).toBe(200);
  const post = await browser.submit(form, { button: 'Send the reset link', fields: { email }, followRedirects: false });
  const final = post.location ? await browser.get(post.location) : post;
  return { form, post, final };
}





describe.each(storageVariants)('password reset on $name', ({ options }) => {
  const env = appWithRelyingParty(options);

  it('resets from the mailed link, kills the old refresh and access tokens, and swaps the working password', async () => {
    const email = 'ada@example.test';
    await env.app.context.users.create({ email, password: OLD_PASSWORD, emailVerified: false, name: 'Ada Lovelace' });
    const rpBrowser = new Browser();
    const tokens = await signInOffline(rpBrowser, env.rp, email, OLD_PASSWORD);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect((await oidc.tokenIntrospection(env.rp, tokens.access_token)).active).toBe(true);
    expect(await asksForPassword(rpBrowser, env.rp)).toBe(false);

    const browser = new Browser();
    const { post, final } = await requestReset(env.app, browser, email);
    expect(post.status).toBe(303);
    expect(final.status).toBe(200);
    expect(final.body).toContain('If an account exists for the address you entered');

    const link = await linkFromMail(env.app, email, 'Reset your password', '/account/reset-password');
    const token = new URL(link).searchParams.get('token')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await env.app.context.database.query<{ token_hash: string }>('SELECT token_hash FROM password_reset_tokens');
    expect(stored.rows.map((row) => row.token_hash)).toContain(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored.rows)).not.toContain(token);
    expect(latestMailTo(env.app.config.mail.outboxDir, email)!.text).toContain('expires in 30 minutes');

    const form = await browser.get(link);
    expect(form.status).toBe(200);
    expect(parseForms(form)[0]!.fields).toMatchObject({ token, password: '' });

    // A common password is refused with the policy's sentence; the token survives.
    const weak = await browser.submit(form, { button: 'Change password', fields: { password: 'password1234' } });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain(COMMON_PASSWORD_MESSAGE.replace("'", '&#39;'));
    expect(weak.body).toContain('aria-invalid="true" aria-describedby="password-error"');
    expect(parseForms(weak)[0]!.fields).toMatchObject({ token, password: '' });
    expect(weak.body).not.toContain('value="password1234"');

    const done = await browser.submit(weak, { button: 'Change password', fields: { password: NEW_PASSWORD }, followRedirects: false });
    expect(done.status).toBe(303);
    const success = await browser.get(done.location!);
    expect(success.status).toBe(200);
    expect(success.body).toContain('Your new password is set.');

    await expect(oidc.refreshTokenGrant(env.rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(env.rp, tokens.access_token)).active).toBe(false);
    // Sessions are found through the account_sessions index, in Redis as in Postgres.
    expect(await asksForPassword(rpBrowser, env.rp)).toBe(true);
    expect(await emailVerified(env.app, email)).toBe(true);

    const changed = latestMailTo(env.app.config.mail.outboxDir, email);
    expect(changed?.subject).toBe('Your password was changed');
    expect(changed?.text).toContain('Hello Ada Lovelace,');
    expect(linksIn(changed!.text)).toContain(`${env.app.issuer}/account/forgot-password`);

    await expect(signIn(new Browser(), env.rp, { email, password: OLD_PASSWORD })).rejects.toThrow(/did not reach the redirect_uri/);
    const fresh = await signInOffline(new Browser(), env.rp, email, NEW_PASSWORD);
    expect(fresh.claims()!.sub).toBe(tokens.claims()!.sub);

    // The link works once.
    const again = await browser.submit(form, { button: 'Change password', fields: { password: 'yet another fine passphrase' } });
    expect(again.status).toBe(400);
    expect(again.body).toContain('expired, was already used');
    expect(again.body).toContain('href="/account/forgot-password"');
    expect((await browser.get(link)).status).toBe(400);
    await expect(signIn(new Browser(), env.rp, { email, password: 'yet another fine passphrase' })).rejects.toThrow();
  });

  it('an older link stops working once a newer one is sent; the newer one works', async () => {
    const email = uniqueEmail('two-links');
    await env.app.context.users.create({ email, password: OLD_PASSWORD, emailVerified: true });
    const browser = new Browser();
    await requestReset(env.app, browser, email);
    const older = await linkFromMail(env.app, email, 'Reset your password', '/account/reset-password');
    const olderForm = await browser.get(older);
    expect(olderForm.status).toBe(200);
    await requestReset(env.app, browser, email);
    const newer = await linkFromMail(env.app, email, 'Reset your password', '/account/reset-password');
    expect(newer).not.toBe(older);

    expect((await browser.get(older)).status).toBe(400);
    const refused = await browser.submit(olderForm, { button: 'Change password', fields: { password: NEW_PASSWORD } });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('expired, was already used');
    await expect(signIn(new Browser(), env.rp, { email, password: NEW_PASSWORD })).rejects.toThrow(/did not reach the redirect_uri/);

    const form = await browser.get(newer);
    const done = await browser.submit(form, { button: 'Change password', fields: { password: NEW_PASSWORD }, followRedirects: false });
    expect(done.status).toBe(303);
    await signIn(new Browser(), env.rp, { email, password: NEW_PASSWORD });
  });

  it('answers an unknown address byte for byte as a known one, and mails only the known one', async () => {
    const known = 'grace@example.test';
    await env.app.context.users.create({ email: known, password: OLD_PASSWORD, emailVerified: true, name: 'Grace Hopper' });
    const answers = [];
    for (const email of ['nobody@example.test', known]) {
      const before = outboxFiles(env.app.config.mail.outboxDir).length;
      answers.push(await requestReset(env.app, new Browser(), email));
      await sendQueuedMail(env.app);
      expect(outboxFiles(env.app.config.mail.outboxDir).length - before).toBe(email === known ? 1 : 0);
    }
    const [unknown, existing] = answers as [typeof answers[0], typeof answers[0]];
    for (const key of ['form', 'post', 'final'] as const) {
      expect(existing[key].status).toBe(unknown[key].status);
      expect(existing[key].location).toBe(unknown[key].location);
      expect(withoutCsrf(existing[key].body)).toBe(withoutCsrf(unknown[key].body));
    }
    expect(latestMailTo(env.app.config.mail.outboxDir, 'nobody@example.test')).toBeUndefined();
    expect(await linkFromMail(env.app, known, 'Reset your password', '/account/reset-password')).toBeDefined();
  });

  it('refuses either form without its CSRF token, and a malformed or unknown token', async () => {
    const email = 'csrf@example.test';
    await env.app.context.users.create({ email, password: OLD_PASSWORD, emailVerified: true });
    const browser = new Browser();
    const forgot = await browser.get(`${env.app.issuer}/account/forgot-password`);
    const before = outboxFiles(env.app.config.mail.outboxDir).length;
    expect((await browser.submit(forgot, { fields: { email }, omit: ['csrf'] })).status).toBe(403);
    await sendQueuedMail(env.app);
    expect(outboxFiles(env.app.config.mail.outboxDir).length).toBe(before);

    await requestReset(env.app, browser, email);
    const form = await browser.get(await linkFromMail(env.app, email, 'Reset your password', '/account/reset-password'));
    const forged = await browser.submit(form, { fields: { password: NEW_PASSWORD }, omit: ['csrf'] });
    expect(forged.status).toBe(403);
    // The token was not spent: the real form still works.
    expect((await browser.submit(form, { fields: { password: NEW_PASSWORD }, followRedirects: false })).status).toBe(303);

    const malformed = await browser.get(`${env.app.issuer}/account/reset-password?token=nope`);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toContain('href="/account/forgot-password"');
    expect((await browser.get(`${env.app.issuer}/account/reset-password?token=${'A'.repeat(43)}`)).status).toBe(400);
    const posted = await browser.submit(form, { fields: { token: 'A'.repeat(43), password: NEW_PASSWORD } });
    expect(posted.status).toBe(400);
  });

  it('limits requests per address, for unknown addresses too, with 429 and Retry-After', async () => {
    const browser = new Browser();
    const form = await browser.get(`${env.app.issuer}/account/forgot-password`);
    for (let i = 0; i < 3; i += 1) expect((await browser.submit(form, { fields: { email: 'limited@example.test' } })).status).toBe(200);
    const limited = await browser.submit(form, { fields: { email: ' LIMITED@example.test ' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toContain('Too many password reset requests.');
  });
});

describe('expired password reset links', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('short-ttl', { passwordReset: { tokenTtlSeconds: 1 } }) } });
  });
  afterAll(async () => { await app?.close(); });

  it('refuses a token past its lifetime and keeps the old password', async () => {
    const email = 'slow@example.test';
    await app.context.users.create({ email, password: OLD_PASSWORD, emailVerified: true });
    const browser = new Browser();
    await requestReset(app, browser, email);
    const form = await browser.get(await linkFromMail(app, email, 'Reset your password', '/account/reset-password'));
    expect(form.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const answer = await browser.submit(form, { button: 'Change password', fields: { password: NEW_PASSWORD } });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('expired, was already used');
    expect(await app.context.users.authenticateWithPassword(email, OLD_PASSWORD)).toBeDefined();
    expect(await app.context.users.authenticateWithPassword(email, NEW_PASSWORD)).toBeUndefined();
  });
});
