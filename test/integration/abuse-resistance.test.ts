// Rate limits and lockout through real HTTP: per-account lockout that
// parallel guesses cannot outrun, its unlock link and the admin unlock, the IP throttle for
// credential stuffing, registration per IP, token requests per client, and the password size cap.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.js';
import { createSettingsFiles, linkFromMail, relyingParty, storageVariants } from '../helpers/accounts.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { cliEnvironment, runCli } from '../helpers/gatehouse-process.js';
import { latestMailTo } from '../helpers/outbox.js';
import { testRedisUrl } from '../helpers/redis.js';
import { buildAuthorizationRequest, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { totpCode } from '../helpers/totp.js';

const PASSWORD = 'a long and memorable passphrase';
const settings = createSettingsFiles('gh-abuse-');
afterAll(() => settings.remove());

async function loginPage(app: TestApp, rp: oidc.Configuration, browser: Browser): Promise<Page> {
  const request = await buildAuthorizationRequest(rp, { scope: 'openid' });
  return browser.get(request.url.href, { followOrigins: [app.issuer] });
}

async function failedRows(app: TestApp, email: string): Promise<number> {
  const result = await app.context.database.query(
    "SELECT 1 FROM audit_events WHERE type = 'login.failure' AND lower(email) = lower($1) AND detail->>'reason' = 'bad_credentials'", [email]);
  return result.rowCount;
}

describe.each(storageVariants)('lockout and rate limits on $name', ({ options }) => {
  let app: TestApp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    // A wide per-IP budget, so the per-account rules are what these tests meet.
    const file = settings.file(`wide-ip-${options.kind ?? 'redis'}`, {
      rateLimits: { loginPerIp: { points: 500, windowSeconds: 300 }, loginFailuresPerIp: { points: 200, windowSeconds: 900 } },
    });
    app = await startTestApp({ ...options, env: { SETTINGS_FILE: file } });
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  it('gives 50 parallel wrong passwords no more than 5 tries, locks, and says the same for the right password', async () => {
    const email = `parallel.${options.kind ?? 'redis'}@example.test`;
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Target' });
    const browsers = Array.from({ length: 50 }, () => new Browser());
    const pages = await Promise.all(browsers.map((browser) => loginPage(app, rp, browser)));
    const answers = await Promise.all(browsers.map((browser, index) =>
      browser.submit(pages[index]!, { button: 'Sign in', fields: { email, password: `wrong guess number ${index}` } })));
    const statuses = answers.map((page) => page.status);
    expect(statuses.filter((status) => status === 400).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(45);
    expect(await failedRows(app, email)).toBeLessThanOrEqual(5);

    const locked = answers.find((page) => page.status === 429)!;
    expect(locked.body).toContain('Too many failed sign-in attempts for this account.');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);

    // The right password gets the same answer while locked: the lock reveals nothing about it.
    const browser = new Browser();
    const right = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email, password: PASSWORD } });
    const wrong = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email, password: 'still not it at all' } });
    expect(right.status).toBe(429);
    expect(wrong.status).toBe(429);
    const message = (page: Page) => /<div class="error-summary"[\s\S]*?<\/div>/.exec(page.body)?.[0];
    expect(message(right)).toBe(message(wrong));

    // One lock, one mail, with a single-use unlock link.
    const link = await linkFromMail(app, email, 'Failed sign-ins to your account were blocked', '/account/unlock');
    const unlockBrowser = new Browser();
    const unlockPage = await unlockBrowser.get(link);
    expect(unlockPage.status).toBe(200);
    const unlocked = await unlockBrowser.submit(unlockPage, { button: 'Unlock account' });
    expect(new URL(unlocked.url).pathname).toBe('/account/unlock/done');
    expect((await unlockBrowser.submit(unlockPage, { button: 'Unlock account' })).status).toBe(400);
    await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid' });

    const events = await app.context.audit.query({ email, since: new Date(Date.now() - 120_000), limit: 100 });
    const types = events.events.map((event) => event.type);
    expect(types.filter((type) => type === 'account.locked')).toHaveLength(1);
    expect(types).toContain('account.unlocked');
  });

  it('never locks an account over a burst of right passwords', async () => {
    const email = `burst.${options.kind ?? 'redis'}@example.test`;
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browsers = Array.from({ length: 8 }, () => new Browser());
    const pages = await Promise.all(browsers.map((browser) => loginPage(app, rp, browser)));
    const answers = await Promise.all(browsers.map((browser, index) =>
      browser.submit(pages[index]!, { button: 'Sign in', fields: { email, password: PASSWORD } })));
    expect(answers.some((page) => page.status === 200 || page.status === 303)).toBe(true);
    expect(latestMailTo(app.config.mail.outboxDir, email)?.subject).not.toBe('Failed sign-ins to your account were blocked');
    await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid' });
  });

  it('answers an address without an account the same way once its attempts run out', async () => {
    const email = `nobody.${options.kind ?? 'redis'}@example.test`;
    const browser = new Browser();
    let last: Page | undefined;
    for (let attempt = 0; attempt < 6; attempt += 1) {
      last = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email, password: `guess ${attempt} for nobody` } });
    }
    expect(last!.status).toBe(429);
    expect(last!.body).toContain('Too many failed sign-in attempts for this account.');
  });

  it('refuses a password over 1,024 bytes before hashing it', async () => {
    const browser = new Browser();
    // 400 three-byte characters: 1,200 bytes in 400 characters.
    const page = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email: 'someone@example.test', password: '€'.repeat(400) } });
    expect(page.status).toBe(400);
    expect(page.body).toContain('Enter a shorter password.');
  });
});

describe('IP throttle, registration, token endpoint', () => {
  let app: TestApp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    const file = settings.file('tight', {
      rateLimits: {
        loginFailuresPerIp: { points: 4, windowSeconds: 900 },
        registrationPerIp: { points: 2, windowSeconds: 3600 },
        tokenPerClient: { points: 3, windowSeconds: 60 },
        secondFactorPerIp: { points: 2, windowSeconds: 300 },
      },
    });
    app = await startTestApp({ env: { SETTINGS_FILE: file } });
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  // Before the stuffing test: that one leaves this IP throttled for sign-in.
  it('limits second-factor codes per IP, on top of the per-account lock', async () => {
    const email = 'coded@example.test';
    const user = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const { secretText } = await app.context.twoFactor.beginEnrolment(user.id, email);
    const confirmed = await app.context.twoFactor.confirmEnrolment(user.id, totpCode(secretText, Date.now()));
    expect(confirmed.ok).toBe(true);
    const browser = new Browser();
    const codePage = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email, password: PASSWORD } });
    expect(codePage.body).toContain('name="code"');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect((await browser.submit(codePage, { button: 'Continue', fields: { code: '000000' } })).status).toBe(400);
    }
    const limited = await browser.submit(codePage, { button: 'Continue', fields: { code: '000000' } });
    expect(limited.status).toBe(429);
    expect(limited.body).toContain('Too many codes were tried from your network.');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('throttles an IP whose wrong passwords spread over many accounts (credential stuffing)', async () => {
    const browser = new Browser();
    for (let account = 0; account < 4; account += 1) {
      const page = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email: `victim${account}@example.test`, password: 'password from a leak' } });
      expect(page.status).toBe(400);
    }
    const throttled = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email: 'victim9@example.test', password: 'password from a leak' } });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toContain('Too many sign-in attempts from your network.');
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('limits registrations per IP and keeps what was typed', async () => {
    const browser = new Browser();
    for (let index = 0; index < 2; index += 1) {
      const form = await browser.get(`${app.issuer}/account/register`);
      const page = await browser.submit(form, { button: 'Create account', fields: { email: `new${index}@example.test`, name: 'New', password: PASSWORD } });
      expect(page.status).toBe(200);
    }
    const form = await browser.get(`${app.issuer}/account/register`);
    const limited = await browser.submit(form, { button: 'Create account', fields: { email: 'third@example.test', name: 'Third Person', password: PASSWORD } });
    expect(limited.status).toBe(429);
    expect(limited.body).toContain('Too many accounts were created from your network. Try again in');
    expect(limited.body).toContain('value="Third Person"');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits token requests per client, counting only requests that authenticated as it', async () => {
    const machine = await app.context.clients.register({ name: 'Batch job', redirectUris: [], grants: ['client_credentials'] });
    const token = (secret: string, viaBody = false) => fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(viaBody ? {} : { authorization: `Basic ${Buffer.from(`${machine.clientId}:${secret}`).toString('base64')}` }),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(viaBody ? { client_id: machine.clientId, client_secret: secret } : {}) }),
    });
    // Wrong secrets do not use up the client's budget.
    for (let index = 0; index < 5; index += 1) expect((await token('not-the-secret')).status).toBe(401);
    for (let index = 0; index < 3; index += 1) expect((await token(machine.clientSecret!)).status).toBe(200);
    const limited = await token(machine.clientSecret!);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({ error: 'temporarily_unavailable' });
    // The claimed client_id in the body is checked the same way.
    expect((await token(machine.clientSecret!, true)).status).toBe(429);
  });
});

describe.each([
  { trustProxy: false, expectedIp: '127.0.0.1' },
  { trustProxy: true, expectedIp: '203.0.113.7' },
])('X-Forwarded-For with TRUST_PROXY=$trustProxy', ({ trustProxy, expectedIp }) => {
  let app: TestApp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    const file = settings.file(`proxy-${trustProxy}`, { rateLimits: { loginFailuresPerIp: { points: 1, windowSeconds: 900 } } });
    app = await startTestApp({ env: { SETTINGS_FILE: file, TRUST_PROXY: String(trustProxy) } });
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  it('records and limits by the client address only when the proxy is trusted', async () => {
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const browser = new Browser();
    const first = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email: 'proxy1@example.test', password: 'wrong guess here' }, headers: from('203.0.113.7') });
    expect(first.status).toBe(400);
    const rows = await app.context.database.query<{ ip: string }>("SELECT ip FROM audit_events WHERE type = 'login.failure' AND email = 'proxy1@example.test'");
    expect(rows.rows).toEqual([{ ip: expectedIp }]);
    // The failure budget (1) is spent for whatever address was counted; another forwarded
    // address gets a fresh budget only when the header is trusted.
    const other = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email: 'proxy2@example.test', password: 'wrong guess here' }, headers: from('203.0.113.8') });
    expect(other.status).toBe(trustProxy ? 400 : 429);
  });
});

describe.runIf(Boolean(process.env.TEST_DATABASE_URL && testRedisUrl))('gatehouse users unlock with Redis', () => {
  let database: TestDatabase;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-unlock-redis-'));
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    app = await startTestApp({ testDatabase: database, redis: true });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('forgets the failed attempts counted in Redis, so the person can sign in at once', { timeout: 60_000 }, async () => {
    const email = 'locked.redis@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const origin = { ip: '203.0.113.7', userAgent: null };
    for (let attempt = 0; attempt < app.config.settings.lockout.maxFailures; attempt += 1) {
      const verdict = await app.context.loginGuard.beforeAttempt(email, origin);
      expect(verdict.allowed).toBe(true);
      if (verdict.allowed) await app.context.loginGuard.afterFailure(email, verdict);
    }
    expect(await app.context.loginGuard.beforeAttempt(email, origin)).toMatchObject({ allowed: false, reason: 'locked' });

    const unlocked = await runCli(['users', 'unlock', '--email', email], cliEnvironment(dataDir, {
      DATABASE_URL: database.url!, REDIS_URL: app.testRedis!.url, REDIS_KEY_PREFIX: app.testRedis!.keyPrefix,
      ENCRYPTION_KEY: app.secrets.encryptionKey, COOKIE_SECRETS: app.secrets.cookieSecrets,
    }));
    expect(unlocked.stderr).toBe('');
    expect(unlocked.stdout).toMatch(/^unlocked user [0-9a-f-]{36} <locked\.redis@example\.test>\n$/);
    expect((await app.context.loginGuard.beforeAttempt(email, origin)).allowed).toBe(true);
  });
});

describe.each([
  { trustProxy: 'true', forwarded: (client: string) => `${client}, 203.0.113.7`, counted: '203.0.113.7' },
  { trustProxy: '2', forwarded: (client: string) => `${client}, 203.0.113.9, 10.0.0.1`, counted: '203.0.113.9' },
])('X-Forwarded-For with TRUST_PROXY=$trustProxy: only what our proxies appended counts', ({ trustProxy, forwarded, counted }) => {
  let app: TestApp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    const file = settings.file(`proxy-hops-${trustProxy}`, { rateLimits: { loginFailuresPerIp: { points: 1, windowSeconds: 900 } } });
    app = await startTestApp({ env: { SETTINGS_FILE: file, TRUST_PROXY: trustProxy } });
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  it('ignores the addresses a client writes to the left, and junk in the header', async () => {
    const browser = new Browser();
    const attempt = async (email: string, header: string) => browser.submit(await loginPage(app, rp, browser), {
      button: 'Sign in', fields: { email, password: 'wrong guess here' }, headers: { 'x-forwarded-for': header },
    });
    expect((await attempt('hops1@example.test', forwarded('198.51.100.1'))).status).toBe(400);
    // A different forged client address does not buy a fresh budget: the proxy's hop is the same.
    expect((await attempt('hops2@example.test', forwarded('198.51.100.2'))).status).toBe(429);
    const rows = await app.context.database.query<{ ip: string }>("SELECT ip FROM audit_events WHERE type = 'login.failure' AND email = 'hops1@example.test'");
    expect(rows.rows).toEqual([{ ip: counted }]);
    // What is not an address (a misbehaving proxy) falls back to the peer's address, never a 500.
    const junk = await attempt('hops3@example.test', 'z'.repeat(300));
    expect(junk.status).toBe(400);
    const junkRows = await app.context.database.query<{ ip: string }>("SELECT ip FROM audit_events WHERE type = 'login.failure' AND email = 'hops3@example.test'");
    expect(junkRows.rows).toEqual([{ ip: '127.0.0.1' }]);
  });
});
