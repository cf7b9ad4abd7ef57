// Registration and email verification through the real pages: the link is read from the .eml the
// app wrote to DATA_DIR/outbox, and a relying party (openid-client) sees the result.
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, parseForms, type Page } from '../helpers/browser.js';
import { latestMailTo, outboxFiles } from '../helpers/outbox.js';
import { buildAuthorizationRequest, exchangeCode, signIn } from '../helpers/relying-party.js';
import { storageKinds } from '../helpers/database.js';
import { createSettingsFiles, emailVerified, linkFromMail, relyingParty, sendQueuedMail, withoutCsrf } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const settings = createSettingsFiles('gh-registration-');
afterAll(() => settings.remove());



async function register(app: TestApp, browser: Browser, fields: Record<string, string>): Promise<{ post: Page; final: Page }> {
  const form = await browser.get(`${app.issuer}/account/register`);
  expect(form.status).toBe(200);
  const post = await browser.submit(form, { button: 'Create account', fields, followRedirects: false });
  const final = post.location ? await browser.get(post.location) : post;
  return { post, final };
}





describe.each(storageKinds)('registration and email verification on %s (open, unverified may sign in)', (kind) => {
  let app: TestApp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    app = await startTestApp({ kind });
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  it('registers, confirms with the link from the outbox, and the relying party sees email_verified: true', async () => {
    const email = 'ada@example.test';
    const browser = new Browser();
    const { post, final } = await register(app, browser, { email, name: 'Ada Lovelace', password: PASSWORD });
    expect(post.status).toBe(303);
    expect(final.status).toBe(200);
    expect(final.body).toContain('Check your inbox');
    expect(await emailVerified(app, email)).toBe(false);

    const link = await linkFromMail(app, email, 'Confirm your email address', '/account/verify-email');
    const token = new URL(link).searchParams.get('token')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await app.context.database.query<{ token_hash: string }>('SELECT token_hash FROM email_verification_tokens');
    expect(stored.rows.map((row) => row.token_hash)).toContain(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored.rows)).not.toContain(token);

    // Opening the link (as a mail scanner would) changes nothing; the button does.
    const confirm = await browser.get(link);
    expect(confirm.status).toBe(200);
    expect(parseForms(confirm)[0]!.fields.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await emailVerified(app, email)).toBe(false);
    const done = await browser.submit(confirm, { button: 'Confirm email address', followRedirects: false });
    expect(done.status).toBe(303);
    expect((await browser.get(done.location!)).body).toContain('your email address is confirmed');
    expect(await emailVerified(app, email)).toBe(true);

    const signedIn = await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid email profile' });
    const tokens = await exchangeCode(rp, signedIn);
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ email, email_verified: true, name: 'Ada Lovelace' });

    // The link works once.
    const again = await browser.submit(confirm, { button: 'Confirm email address' });
    expect(again.status).toBe(400);
    expect(again.body).toContain('expired, was already used');
    expect(again.body).toContain('href="/account/verify-email/resend"');
  });

  it('answers a taken address byte for byte as a new one, and mails the owner instead', async () => {
    const taken = 'grace@example.test';
    await app.context.users.create({ email: taken, password: PASSWORD, emailVerified: true, name: 'Grace Hopper' });
    const answers = [];
    for (const email of ['new-person@example.test', taken]) {
      const browser = new Browser();
      const invalid = await register(app, browser, { email, name: 'Someone', password: 'short' });
      const accepted = await register(app, browser, { email, name: 'Someone', password: 'another long passphrase here' });
      answers.push({ invalid, accepted });
    }
    const [fresh, existing] = answers as [typeof answers[0], typeof answers[0]];
    expect(fresh.invalid.post.status).toBe(400);
    expect(existing.invalid.post.status).toBe(400);
    expect(withoutCsrf(existing.invalid.post.body)).toBe(withoutCsrf(fresh.invalid.post.body).replace('new-person@example.test', taken));
    for (const key of ['post', 'final'] as const) {
      expect(existing.accepted[key].status).toBe(fresh.accepted[key].status);
      expect(existing.accepted[key].location).toBe(fresh.accepted[key].location);
      expect(withoutCsrf(existing.accepted[key].body)).toBe(withoutCsrf(fresh.accepted[key].body));
    }

    await sendQueuedMail(app);
    const owner = latestMailTo(app.config.mail.outboxDir, taken);
    expect(owner?.subject).toBe('Someone tried to register with your email address');
    expect(owner?.text).toContain('Hello Grace Hopper,');
    const rows = await app.context.database.query<{ name: string }>('SELECT name FROM users WHERE lower(email) = $1', [taken]);
    expect(rows.rows).toEqual([{ name: 'Grace Hopper' }]);
    expect(latestMailTo(app.config.mail.outboxDir, 'new-person@example.test')?.subject).toBe('Confirm your email address');
  });

  it('keeps what was typed except the password, and refuses a form without its CSRF token', async () => {
    const browser = new Browser();
    const { post } = await register(app, browser, { email: 'typed@example.test', name: 'Typed Name', password: 'short' });
    expect(post.status).toBe(400);
    expect(post.body).toContain('aria-invalid="true" aria-describedby="password-error password-rules"');
    const [form] = parseForms(post);
    expect(form!.fields).toMatchObject({ email: 'typed@example.test', name: 'Typed Name', password: '' });
    expect(post.body).not.toContain('value="short"');

    const page = await browser.get(`${app.issuer}/account/register`);
    const forged = await browser.submit(page, { fields: { email: 'csrf@example.test', name: 'X', password: PASSWORD }, omit: ['csrf'] });
    expect(forged.status).toBe(403);
    expect(await emailVerified(app, 'csrf@example.test')).toBeUndefined();

    const email = 'csrf-link@example.test';
    await register(app, browser, { email, name: 'Csrf Link', password: PASSWORD });
    const link = await browser.get(await linkFromMail(app, email, 'Confirm your email address', '/account/verify-email'));
    const noToken = await browser.submit(link, { omit: ['csrf'] });
    expect(noToken.status).toBe(403);
    expect(await emailVerified(app, email)).toBe(false);
  });

  it('lets only one of two concurrent confirmations of the same link win', async () => {
    const email = 'twice@example.test';
    const browser = new Browser();
    await register(app, browser, { email, name: 'Twice', password: PASSWORD });
    const confirm = await browser.get(await linkFromMail(app, email, 'Confirm your email address', '/account/verify-email'));
    const answers = await Promise.all([0, 1].map(() => browser.submit(confirm, { button: 'Confirm email address', followRedirects: false })));
    expect(answers.map((page) => page.status).sort()).toEqual([303, 400]);
    expect(await emailVerified(app, email)).toBe(true);
  });

  it('refuses a malformed or unknown token with a 400 page that links to resend', async () => {
    const browser = new Browser();
    const malformed = await browser.get(`${app.issuer}/account/verify-email?token=nope`);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toContain('href="/account/verify-email/resend"');
    // A well-formed but unknown link shows no button either: there is nothing to confirm.
    const unknown = await browser.get(`${app.issuer}/account/verify-email?token=${'A'.repeat(43)}`);
    expect(unknown.status).toBe(400);
    expect(unknown.body).not.toContain('Confirm email address</button>');
    expect(unknown.body).toContain('href="/account/verify-email/resend"');
  });

  it('lets an unverified account sign in with email_verified: false', async () => {
    const email = 'unverified@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: false });
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid email' }));
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ email, email_verified: false });
  });

  it('resends with one answer for unknown, verified and unconfirmed addresses, then 429 past the per-address limit', async () => {
    const unconfirmed = 'pending@example.test';
    await app.context.users.create({ email: unconfirmed, password: PASSWORD, emailVerified: false });
    await app.context.users.create({ email: 'done@example.test', password: PASSWORD, emailVerified: true });
    const answers: Page[] = [];
    for (const email of ['nobody@example.test', 'done@example.test', unconfirmed]) {
      const browser = new Browser();
      const form = await browser.get(`${app.issuer}/account/verify-email/resend`);
      const mailsBefore = outboxFiles(app.config.mail.outboxDir).length;
      const post = await browser.submit(form, { button: 'Send the email', fields: { email }, followRedirects: false });
      expect(post.status).toBe(303);
      answers.push(post, await browser.get(post.location!));
      await sendQueuedMail(app);
      expect(outboxFiles(app.config.mail.outboxDir).length - mailsBefore).toBe(email === unconfirmed ? 1 : 0);
    }
    for (const page of answers.slice(2)) expect(withoutCsrf(page.body)).toBe(withoutCsrf(answers[answers.indexOf(page) % 2]!.body));
    expect(await linkFromMail(app, unconfirmed, 'Confirm your email address', '/account/verify-email')).toBeDefined();

    // 3 per hour per address by default: two more pass, the next is refused.
    const browser = new Browser();
    const form = await browser.get(`${app.issuer}/account/verify-email/resend`);
    for (let i = 0; i < 2; i += 1) expect((await browser.submit(form, { fields: { email: unconfirmed } })).status).toBe(200);
    const limited = await browser.submit(form, { fields: { email: ` ${unconfirmed.toUpperCase()} ` } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toContain('Too many requests for a confirmation email.');
    expect(parseForms(limited)[0]!.fields.email).toBe(` ${unconfirmed.toUpperCase()} `.slice(0, 320));
  });
});

describe('registration off, unverified accounts blocked', () => {
  let app: TestApp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    const file = settings.file('closed', {
      registration: { policy: 'off' },
      emailVerification: { loginPolicy: 'block', resendLimits: { perIp: { points: 2, windowSeconds: 3600 } } },
    });
    app = await startTestApp({ env: { SETTINGS_FILE: file } });
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  it('answers the registration page with a 404 that says registration is off', async () => {
    const page = await new Browser().get(`${app.issuer}/account/register`);
    expect(page.status).toBe(404);
    expect(page.body).toContain('Registration is turned off on this server.');
  });

  it('asks an unverified account to confirm its email, only after the right password', async () => {
    const email = 'blocked@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: false });
    const browser = new Browser();
    const request = await buildAuthorizationRequest(rp, { scope: 'openid' });
    const login = await browser.get(request.url.href, { followOrigins: [app.issuer] });
    const wrong = await browser.submit(login, { button: 'Sign in', fields: { email, password: 'not the password at all' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('Incorrect email or password.');
    expect(wrong.body).not.toContain('Confirm your email address first.');

    const right = await browser.submit(login, { button: 'Sign in', fields: { email, password: PASSWORD } });
    expect(right.status).toBe(403);
    expect(right.body).toContain('Confirm your email address first.');
    expect(right.body).toContain('href="/account/verify-email/resend"');
    expect(right.location).toBeUndefined();
  });

  it('limits resends per IP across addresses', async () => {
    const browser = new Browser();
    const form = await browser.get(`${app.issuer}/account/verify-email/resend`);
    expect((await browser.submit(form, { fields: { email: 'one@example.test' } })).status).toBe(200);
    expect((await browser.submit(form, { fields: { email: 'two@example.test' } })).status).toBe(200);
    const limited = await browser.submit(form, { fields: { email: 'three@example.test' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('expired verification links', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('short-ttl', { emailVerification: { tokenTtlSeconds: 1 } }) } });
  });
  afterAll(async () => { await app?.close(); });

  it('refuses a token past its lifetime', async () => {
    const email = 'slow@example.test';
    const browser = new Browser();
    await register(app, browser, { email, name: 'Slow Reader', password: PASSWORD });
    const confirm = await browser.get(await linkFromMail(app, email, 'Confirm your email address', '/account/verify-email'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const answer = await browser.submit(confirm, { button: 'Confirm email address' });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('expired, was already used');
    expect(await emailVerified(app, email)).toBe(false);
  });
});

describe('registration while the mail server is down', () => {
  let app: TestApp;
  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const file = settings.file('no-retry', { mail: { retry: { attempts: 1, baseDelayMs: 0 }, smtpTimeoutMs: 2000 } });
    app = await startTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${port}?requireTLS=false`, SETTINGS_FILE: file } });
  });
  afterAll(async () => { await app?.close(); });

  it('keeps the account, answers as when mail works, and keeps the mail queued for a retry', async () => {
    const email = 'offline@example.test';
    const browser = new Browser();
    const { post, final } = await register(app, browser, { email, name: 'Off Line', password: PASSWORD });
    expect(post.status).toBe(303);
    expect(final.status).toBe(200);
    expect(final.body).toContain('We have sent a message to the address you gave');
    expect(browser.history.every((page) => page.status < 500)).toBe(true);
    expect(await emailVerified(app, email)).toBe(false);

    await sendQueuedMail(app);
    const queued = await app.context.database.query<{ status: string; attempts: number; next_attempt_at: Date }>(
      'SELECT status, attempts, next_attempt_at FROM account_mail_jobs WHERE email = $1', [email]);
    expect(queued.rows).toEqual([{ status: 'pending', attempts: 1, next_attempt_at: expect.any(Date) }]);
    expect(queued.rows[0]!.next_attempt_at.getTime()).toBeGreaterThan(Date.now());
  });
});
