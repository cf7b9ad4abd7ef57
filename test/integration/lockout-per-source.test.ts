// Lockout per (account, source) through real HTTP: a password spray from many IPs locks no
// account and slows it down instead; the owner's usual browser signs in throughout; one source
// still gets at most lockout.maxFailures password checks, and its lock mail unblocks that source
// only. Also: a second-factor lock mails the owner. Sources are told apart by X-Forwarded-For
// (TRUST_PROXY=true) and by the device cookie a completed sign-in leaves.
import { readFileSync } from 'node:fs';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.js';
import { linkFromMail, relyingParty, storageVariants, uniqueEmail } from '../helpers/accounts.js';
import { latestMailTo, outboxFiles, parseMail } from '../helpers/outbox.js';
import { buildAuthorizationRequest, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { totpCode } from '../helpers/totp.js';

const PASSWORD = 'a long and memorable passphrase';
const LOCK_SUBJECT = 'Failed sign-ins to your account were blocked';
const SECOND_FACTOR_SUBJECT = 'Wrong two-factor codes for your account';

async function loginPage(app: TestApp, rp: oidc.Configuration, browser: Browser, extraParams: Record<string, string> = {}): Promise<Page> {
  const request = await buildAuthorizationRequest(rp, { scope: 'openid', extraParams });
  return browser.get(request.url.href, { followOrigins: [app.issuer] });
}

function attempt(browser: Browser, page: Page, ip: string, email: string, password: string): Promise<Page> {
  return browser.submit(page, { button: 'Sign in', fields: { email, password }, headers: { 'x-forwarded-for': ip }, followRedirects: false });
}

/** The owner's usual browser: asked for the password again (prompt=login) while its device cookie stays. */
async function ownerSignsIn(browser: Browser, rp: oidc.Configuration, email: string): Promise<void> {
  await signIn(browser, rp, { email, password: PASSWORD, scope: 'openid', extraParams: { prompt: 'login' } });
}

/** Password checks that ran and failed (argon2 ran for each), for the address and, if given, from one IP. */
async function passwordChecks(app: TestApp, email: string, ip?: string): Promise<number> {
  const result = await app.context.database.query(
    `SELECT 1 FROM audit_events WHERE type = 'login.failure' AND lower(email) = lower($1) AND detail->>'reason' = 'bad_credentials'
     AND ($2::text IS NULL OR ip = $2::text)`, [email, ip ?? null]);
  return result.rowCount;
}

async function auditCount(app: TestApp, type: string, email: string): Promise<number> {
  const result = await app.context.database.query('SELECT 1 FROM audit_events WHERE type = $1 AND lower(email) = lower($2)', [type, email]);
  return result.rowCount;
}

function mailsTo(app: TestApp, email: string, subject: string): number {
  return outboxFiles(app.config.mail.outboxDir).map((file) => parseMail(readFileSync(file, 'utf8')))
    .filter((mail) => mail.to.toLowerCase().includes(email.toLowerCase()) && mail.subject === subject).length;
}

describe.each(storageVariants)('lockout per source on $name', ({ options }) => {
  let app: TestApp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    app = await startTestApp({ ...options, env: { TRUST_PROXY: 'true' } });
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  it('locks none of 10 accounts under a spray of 100 IPs × 10 guesses, and the owner signs in from the usual browser meanwhile', { timeout: 240_000 }, async () => {
    const accounts = Array.from({ length: 10 }, () => uniqueEmail('sprayed'));
    for (const email of accounts) await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const owner = accounts[0]!;
    const ownerBrowser = new Browser();
    await ownerSignsIn(ownerBrowser, rp, owner);

    // Each IP tries one common password on every account (a spray), ten IPs at a time.
    const statuses: number[] = [];
    let ownerSignedInDuringSpray = false;
    for (let batch = 0; batch < 10; batch += 1) {
      await Promise.all(Array.from({ length: 10 }, async (_, index) => {
        const ip = `198.51.${batch}.${index + 1}`;
        const browser = new Browser();
        let page = await loginPage(app, rp, browser);
        for (const email of accounts) {
          page = await attempt(browser, page, ip, email, `Spring2026!${batch}`);
          statuses.push(page.status);
        }
      }));
      if (batch === 5) {
        await ownerSignsIn(ownerBrowser, rp, owner);
        ownerSignedInDuringSpray = true;
      }
    }
    expect(ownerSignedInDuringSpray).toBe(true);
    expect(statuses).toHaveLength(1000);
    // Only wrong passwords (400) and waits (429): no error.
    expect(statuses.filter((status) => status !== 400 && status !== 429)).toEqual([]);
    for (const email of accounts) {
      expect(await auditCount(app, 'account.locked', email)).toBe(0);
      expect(mailsTo(app, email, LOCK_SUBJECT)).toBe(0);
      // The throttle held the argon2 checks far below the 100 attempts each account met.
      expect(await passwordChecks(app, email)).toBeLessThan(40);
    }
    const locks = await app.context.database.query('SELECT 1 FROM source_lockouts WHERE locked_until > now()');
    expect(locks.rowCount).toBe(0);

    // The throttle says so, in words that speak of no unlock link. One attempt per wait: of two
    // in a row from fresh IPs, the second waits even if the first found the wait over.
    const browser = new Browser();
    await attempt(browser, await loginPage(app, rp, browser), '203.0.113.98', accounts[3]!, 'one more guess');
    const slowed = await attempt(browser, await loginPage(app, rp, browser), '203.0.113.99', accounts[3]!, 'and another guess');
    expect(slowed.status).toBe(429);
    expect(slowed.body).toContain('Too many failed sign-in attempts for this account. Try again in');
    expect(slowed.body).not.toContain('unlock link');
    expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(0);

    // And the owner's usual browser still signs in after the spray.
    await ownerSignsIn(ownerBrowser, rp, owner);
  });

  it('gives one IP at most 5 password checks against an account; other sources and the usual browser are not held up; the mail unblocks that IP', { timeout: 60_000 }, async () => {
    const email = uniqueEmail('guessed');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Guessed' });
    const ownerBrowser = new Browser();
    await ownerSignsIn(ownerBrowser, rp, email);

    const attacker = new Browser();
    let page = await loginPage(app, rp, attacker);
    const statuses: number[] = [];
    for (let index = 0; index < 8; index += 1) {
      page = await attempt(attacker, page, '203.0.113.50', email, `guess number ${index}`);
      statuses.push(page.status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429, 429]);
    expect(page.body).toContain('Too many failed sign-in attempts for this account.');
    expect(await passwordChecks(app, email, '203.0.113.50')).toBe(5);
    // Even the right password from that IP is refused while its lock runs, with the same words.
    const right = await attempt(attacker, await loginPage(app, rp, attacker), '203.0.113.50', email, PASSWORD);
    expect(right.status).toBe(429);
    // One lock, one mail naming the source, with a link for that source.
    expect(await auditCount(app, 'account.locked', email)).toBe(1);
    expect(mailsTo(app, email, LOCK_SUBJECT)).toBe(1);
    expect(latestMailTo(app.config.mail.outboxDir, email)!.text).toContain('from the network address 203.0.113.50');
    const link = await linkFromMail(app, email, LOCK_SUBJECT, '/account/unlock');

    // Another IP signs in with the right password: the account itself is not locked.
    const elsewhere = new Browser();
    expect((await attempt(elsewhere, await loginPage(app, rp, elsewhere), '192.0.2.10', email, PASSWORD)).status).toBe(303);
    // So does the owner's usual browser, even from the locked IP.
    const usual = await attempt(ownerBrowser, await loginPage(app, rp, ownerBrowser, { prompt: 'login' }), '203.0.113.50', email, PASSWORD);
    expect(usual.status).toBe(303);

    // The link unblocks that IP.
    const unlockBrowser = new Browser();
    const unlocked = await unlockBrowser.submit(await unlockBrowser.get(link), { button: 'Unlock account' });
    expect(new URL(unlocked.url).pathname).toBe('/account/unlock/done');
    const again = await attempt(attacker, await loginPage(app, rp, attacker), '203.0.113.50', email, PASSWORD);
    expect(again.status).toBe(303);
  });
});

describe('second-factor lock', () => {
  let app: TestApp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    app = await startTestApp();
    rp = await relyingParty(app);
  });
  afterAll(async () => { await app?.close(); });

  it('mails the owner once when wrong codes lock second-factor attempts', async () => {
    const email = uniqueEmail('coded');
    const user = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const { secretText } = await app.context.twoFactor.beginEnrolment(user.id, email);
    expect((await app.context.twoFactor.confirmEnrolment(user.id, totpCode(secretText, Date.now()))).ok).toBe(true);
    const browser = new Browser();
    const codePage = await browser.submit(await loginPage(app, rp, browser), { button: 'Sign in', fields: { email, password: PASSWORD } });
    expect(codePage.body).toContain('name="code"');
    let page = codePage;
    for (let index = 0; index < app.config.settings.twoFactor.maxFailures; index += 1) {
      page = await browser.submit(codePage, { button: 'Continue', fields: { code: '000000' }, followRedirects: false });
    }
    // The sign-in ended (access_denied to the app), and the owner heard of it.
    expect(page.status).toBe(303);
    expect(mailsTo(app, email, SECOND_FACTOR_SUBJECT)).toBe(1);
    const mail = latestMailTo(app.config.mail.outboxDir, email)!;
    expect(mail.text).toContain(`${app.issuer}/account/forgot-password`);
    expect(mail.text).not.toContain('000000');

    // Tries while the lock runs are refused without another mail.
    const later = new Browser();
    const laterCodePage = await later.submit(await loginPage(app, rp, later), { button: 'Sign in', fields: { email, password: PASSWORD } });
    await later.submit(laterCodePage, { button: 'Continue', fields: { code: '000000' }, followRedirects: false });
    expect(mailsTo(app, email, SECOND_FACTOR_SUBJECT)).toBe(1);
  });
});
