// Two-factor sign-in through real HTTP: enrolling on the account page, signing in to a
// relying party (openid-client) with password and code, amr/acr in the ID token, clock skew,
// replay, backup codes, lockout, remembered devices, step-up with acr_values, a client that
// requires two-factor, max_age and prompt=login, turning it off, and policy mode "required"
// (enrolment during sign-in). Codes are computed here with our own RFC 6238 generator, as an
// authenticator app would.
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_PASSWORD, ACR_TWO_FACTOR } from '../../src/oidc/two-factor-policy.js';
import { createSettingsFiles, linkFromMail, relyingParty, storageVariants } from '../helpers/accounts.js';
import { Browser, decodeEntities, isPasswordPage, parseForms, setupKeyOf, type Page } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_REDIRECT_URI, type AuthorizationRequest } from '../helpers/relying-party.js';
import { createTestSecrets, startTestApp, type TestApp } from '../helpers/start-app.js';
import { settleStep, STEP_MS, totpCode } from '../helpers/totp.js';

const PASSWORD = 'a long and memorable passphrase';
const NEW_PASSWORD = 'another entirely different passphrase';
const settings = createSettingsFiles('gh-two-factor-');
afterAll(() => settings.remove());

/** The code an authenticator app shows `steps` time steps from now. */
function codeAt(secret: string, steps = 0): string {
  return totpCode(secret, Date.now() + steps * STEP_MS);
}


function isCodePage(page: Page): boolean {
  return page.body.includes('<h1>Enter your code</h1>');
}


function backupCodesOf(page: Page): string[] {
  return [...page.body.matchAll(/<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{5})<\/code><\/li>/g)].map((match) => match[1]!);
}

function errorSummaryOf(page: Page): string {
  const summary = /<div class="error-summary"[\s\S]*?<\/div>/.exec(page.body)?.[0] ?? '';
  return decodeEntities(summary.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
}

interface Flow {
  request: AuthorizationRequest;
  page: Page;
}

async function authorize(browser: Browser, rp: oidc.Configuration, extraParams: Record<string, string> = {}): Promise<Flow> {
  const request = await buildAuthorizationRequest(rp, { scope: 'openid', extraParams });
  return { request, page: await browser.get(request.url.href, { followOrigins: [request.url.origin] }) };
}

async function submitPassword(browser: Browser, page: Page, email: string, password = PASSWORD): Promise<Page> {
  expect(isPasswordPage(page), page.body).toBe(true);
  return browser.submit(page, { button: 'Sign in', fields: { email, password } });
}

async function submitCode(browser: Browser, page: Page, code: string, options: { remember?: boolean } = {}): Promise<Page> {
  expect(isCodePage(page), page.body).toBe(true);
  return browser.submit(page, { button: 'Continue', fields: { code, ...(options.remember ? { remember: 'yes' } : {}) } });
}

/** Allows consent when asked; the page must then be the redirect back to the relying party. */
async function callbackOf(browser: Browser, page: Page): Promise<URL> {
  let last = page;
  if (last.status === 200 && last.body.includes('<h1>Allow access?</h1>')) last = await browser.submit(last, { button: 'Allow' });
  if (!last.location?.startsWith(RP_REDIRECT_URI)) throw new Error(`not back at the relying party; last page ${last.url} (${last.status}):\n${last.body}`);
  return new URL(last.location);
}

async function idTokenClaims(rp: oidc.Configuration, browser: Browser, flow: Flow, page: Page): Promise<oidc.IDToken> {
  const tokens = await exchangeCode(rp, { request: flow.request, callbackUrl: await callbackOf(browser, page) });
  return tokens.claims()!;
}


/** A verified account with the test password, under a unique address. */
async function createUser(app: TestApp, name: string): Promise<{ id: string; email: string }> {
  const email = `${name}.${randomUUID()}@example.test`;
  const user = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
  return { id: user.id, email };
}

describe.each(storageVariants)('two-factor sign-in on $name', ({ options }) => {
  let testDatabase: TestDatabase;
  let app: TestApp;
  let rp: oidc.Configuration;
  /** A client listed in twoFactor.policy.requiredForClients. */
  let strictRp: oidc.Configuration;

  beforeAll(async () => {
    // The strict client must exist before the app that names it in its settings starts.
    testDatabase = await createTestDatabase(options.kind);
    const secrets = createTestSecrets();
    const first = await startTestApp({ ...options, testDatabase, secrets });
    const strict = await first.context.clients.register({ name: 'Payroll', redirectUris: [RP_REDIRECT_URI] });
    await first.close();
    app = await startTestApp({
      ...options,
      testDatabase,
      secrets,
      env: { SETTINGS_FILE: settings.file('strict', { twoFactor: { policy: { requiredForClients: [strict.clientId] } } }) },
    });
    rp = await relyingParty(app);
    strictRp = await discoverIssuer(app.issuer, strict.clientId, strict.clientSecret!);
  });
  afterAll(async () => {
    await app?.close();
    await testDatabase?.close();
  });

  const newUser = (name: string) => createUser(app, name);

  /**
   * An account with an authenticator, confirmed with the previous step's code so that the current
   * and the next step are still free for sign-ins (each step signs in once).
   */
  async function enrolledUser(name: string): Promise<{ id: string; email: string; secret: string; backupCodes: string[] }> {
    const user = await newUser(name);
    const { secretText } = await app.context.twoFactor.beginEnrolment(user.id, user.email);
    await settleStep();
    const confirmed = await app.context.twoFactor.confirmEnrolment(user.id, codeAt(secretText, -1));
    if (!confirmed.ok) throw new Error(`enrolment failed: ${confirmed.reason}`);
    return { ...user, secret: secretText, backupCodes: confirmed.backupCodes };
  }

  /** Password then code, from a browser without a session; the ID token's claims. */
  async function signInWithCode(browser: Browser, client: oidc.Configuration, user: { email: string }, code: string, options: { remember?: boolean; extraParams?: Record<string, string> } = {}) {
    const flow = await authorize(browser, client, options.extraParams);
    const codePage = await submitPassword(browser, flow.page, user.email);
    return idTokenClaims(client, browser, flow, await submitCode(browser, codePage, code, options));
  }

  async function auditTypes(accountId: string): Promise<string[]> {
    const page = await app.context.audit.query({ accountId, since: new Date(Date.now() - 3_600_000), limit: 100 });
    return page.events.map((event) => event.type);
  }

  it('advertises both acr values in discovery', async () => {
    const metadata = rp.serverMetadata();
    expect(metadata.acr_values_supported).toEqual([ACR_PASSWORD, ACR_TWO_FACTOR]);
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['acr', 'amr']));
  });

  it('enrols from the account page: QR image and setup key, one code to confirm, backup codes shown once', async () => {
    const user = await newUser('ada');
    const browser = new Browser();
    let page = await browser.get(`${app.issuer}/account/two-factor`);
    page = await submitPassword(browser, page, user.email);
    expect(new URL(page.url).pathname).toBe('/account/two-factor');
    expect(page.body).toContain('Two-factor sign-in is off.');
    const home = await browser.get(`${app.issuer}/account`);
    expect(home.body).toContain('<a href="/account/two-factor">Two-factor sign-in</a>');

    const enrol = await browser.submit(page, { button: 'Set up an authenticator app' });
    expect(new URL(enrol.url).pathname).toBe('/account/two-factor/enrol');
    expect(enrol.headers.get('cache-control')).toBe('no-store');
    expect(enrol.body).not.toMatch(/<script/i);
    const qr = /<img class="qr" src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"[^>]* alt="[^"]+"/.exec(enrol.body);
    expect(qr).not.toBeNull();
    expect(Buffer.from(qr![1]!, 'base64').toString('utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(enrol.headers.get('content-security-policy')).toContain("img-src 'self' data:");
    const secret = setupKeyOf(enrol);
    expect(secret.replace(/ /g, '')).toMatch(/^[A-Z2-7]{32}$/);

    // A wrong code keeps the same secret on the page (the app may have scanned it already).
    await settleStep();
    const wrong = await browser.submit(enrol, { button: 'Turn on two-factor sign-in', fields: { code: codeAt(secret, 3) } });
    expect(wrong.status).toBe(400);
    expect(errorSummaryOf(wrong)).toContain('That code is not right.');
    expect(wrong.body).not.toContain(codeAt(secret, 3));
    expect(setupKeyOf(wrong)).toBe(secret);
    expect(setupKeyOf(await browser.get(`${app.issuer}/account/two-factor/enrol`))).toBe(secret);

    const done = await browser.submit(wrong, { button: 'Turn on two-factor sign-in', fields: { code: codeAt(secret) } });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Save your backup codes');
    const codes = backupCodesOf(done);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const status = await browser.get(`${app.issuer}/account/two-factor`);
    expect(status.body).toContain('Two-factor sign-in is on.');
    expect(status.body).toContain('10 of 10 backup codes left.');
    expect(backupCodesOf(status)).toEqual([]);
    expect(await app.context.twoFactor.status(user.id)).toMatchObject({ enrolled: true, backupCodesLeft: 10 });
    expect(await auditTypes(user.id)).toContain('two_factor.enrolled');

    // Starting again once it is on changes nothing.
    const again = await browser.get(`${app.issuer}/account/two-factor/enrol`);
    expect(new URL(again.url).pathname).toBe('/account/two-factor');
    expect(again.body).toContain('Two-factor sign-in is already on.');
  });

  it('signs in to a relying party with password and code: amr ["pwd","otp"] and the two-factor acr', async () => {
    const plain = await newUser('plain');
    const plainBrowser = new Browser();
    const plainFlow = await authorize(plainBrowser, rp);
    const plainClaims = await idTokenClaims(rp, plainBrowser, plainFlow, await submitPassword(plainBrowser, plainFlow.page, plain.email));
    expect(plainClaims).toMatchObject({ amr: ['pwd'], acr: ACR_PASSWORD });

    const user = await enrolledUser('grace');
    const browser = new Browser();
    const flow = await authorize(browser, rp);
    const codePage = await submitPassword(browser, flow.page, user.email);
    expect(new URL(codePage.url).pathname).toBe(new URL(flow.page.url).pathname);
    expect(codePage.body).toContain('Remember this device for 30 days');
    expect(codePage.body).not.toContain('name="password"');

    const missing = await browser.submit(codePage, { button: 'Continue', fields: { code: '' } });
    expect(missing.status).toBe(400);
    expect(errorSummaryOf(missing)).toContain('Enter the 6-digit code from your authenticator app, or a backup code.');
    // The form is CSRF-checked like every other.
    const forged = await browser.submit(codePage, { button: 'Continue', fields: { code: codeAt(user.secret) }, omit: ['csrf'] });
    expect(forged.status).toBe(403);

    await settleStep();
    const claims = await idTokenClaims(rp, browser, flow, await submitCode(browser, missing, codeAt(user.secret)));
    expect(claims).toMatchObject({ sub: user.id, amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
    expect(await auditTypes(user.id)).toEqual(expect.arrayContaining(['login.success', 'second_factor.success']));

    // The session now holds the two-factor level: single sign-on carries it on.
    const again = await authorize(browser, rp);
    expect(await idTokenClaims(rp, browser, again, again.page)).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
  });

  it('accepts codes one step either side of now, refuses two steps off and a code used before', async () => {
    // Every code below is computed against one step: the test must end inside it.
    await settleStep(8_000);
    const user = await enrolledUser('skew');
    const tooOld = codeAt(user.secret, -2);
    const tooNew = codeAt(user.secret, 2);
    const behind = codeAt(user.secret, -1);
    const current = codeAt(user.secret, 0);
    const ahead = codeAt(user.secret, 1);

    const browser = new Browser();
    const flow = await authorize(browser, rp);
    let page = await submitPassword(browser, flow.page, user.email);
    for (const code of [tooOld, tooNew]) {
      page = await submitCode(browser, page, code);
      expect(page.status).toBe(400);
      expect(errorSummaryOf(page)).toContain('That code is not right.');
      expect(page.body).not.toContain(code);
    }
    // enrolledUser confirmed with the step behind: that step is spent, and so is every older one.
    page = await submitCode(browser, page, behind);
    expect(page.status).toBe(400);
    expect(errorSummaryOf(page)).toContain('That code was used already.');
    expect(await idTokenClaims(rp, browser, flow, await submitCode(browser, page, ahead))).toMatchObject({ acr: ACR_TWO_FACTOR });

    // The step ahead was used, so the current one (older) is refused too: a code never works twice.
    const other = new Browser();
    const otherFlow = await authorize(other, rp);
    const refused = await submitCode(other, await submitPassword(other, otherFlow.page, user.email), current);
    expect(refused.status).toBe(400);
    expect(errorSummaryOf(refused)).toContain('That code was used already.');
    const replayed = await submitCode(other, refused, ahead);
    expect(errorSummaryOf(replayed)).toContain('That code was used already.');
    expect(await auditTypes(user.id)).toContain('second_factor.failure');
  });

  it('takes a backup code once, and counts what is left', async () => {
    const user = await enrolledUser('backup');
    const [first] = user.backupCodes;
    // People type them in capitals, without the dashes.
    const claims = await signInWithCode(new Browser(), rp, user, first!.replace(/-/g, '').toUpperCase());
    expect(claims).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
    expect(await app.context.twoFactor.status(user.id)).toMatchObject({ backupCodesLeft: 9 });

    const browser = new Browser();
    const flow = await authorize(browser, rp);
    const reused = await submitCode(browser, await submitPassword(browser, flow.page, user.email), first!);
    expect(reused.status).toBe(400);
    expect(errorSummaryOf(reused)).toContain('That code is not right.');

    const page = await browser.get(`${app.issuer}/account/two-factor`);
    const signedIn = await submitCode(browser, await submitPassword(browser, page, user.email), user.backupCodes[1]!);
    expect(signedIn.body).toContain('8 of 10 backup codes left.');
  });

  it('ends the sign-in after maxFailures wrong codes and keeps the account locked for the next one', async () => {
    const user = await enrolledUser('locked');
    await settleStep();
    const wrong = String((Number(codeAt(user.secret)) + 500_000) % 1_000_000).padStart(6, '0');
    const browser = new Browser();
    const flow = await authorize(browser, rp);
    let page = await submitPassword(browser, flow.page, user.email);
    for (let attempt = 1; attempt < app.config.settings.twoFactor.maxFailures; attempt += 1) {
      page = await submitCode(browser, page, wrong);
      expect(page.status).toBe(400);
    }
    page = await submitCode(browser, page, wrong);
    const callback = await callbackOf(browser, page);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(flow.request.state);

    // Even the right code is refused while the lock lasts.
    const next = new Browser();
    const nextFlow = await authorize(next, rp);
    const locked = await submitCode(next, await submitPassword(next, nextFlow.page, user.email), codeAt(user.secret));
    expect((await callbackOf(next, locked)).searchParams.get('error')).toBe('access_denied');
    const { rows } = await app.context.database.query<{ locked_until: Date }>('SELECT locked_until FROM second_factor_failures WHERE user_id = $1', [user.id]);
    expect(rows[0]!.locked_until.getTime()).toBeGreaterThan(Date.now() + 60_000);
  });

  it('lets a remembered device skip the code (password level only) until it is forgotten', async () => {
    const user = await enrolledUser('device');
    await settleStep();
    const browser = new Browser();
    const flow = await authorize(browser, rp);
    const codePage = await submitPassword(browser, flow.page, user.email);
    const remembered = await browser.submit(codePage, { button: 'Continue', fields: { code: codeAt(user.secret), remember: 'yes' }, followRedirects: false });
    const cookie = remembered.headers.getSetCookie().find((header) => header.startsWith('gatehouse.trusted-device='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; path=\/;/);
    expect(cookie).toMatch(/; samesite=lax/i);
    expect(cookie).toMatch(/; httponly/i);
    expect(remembered.headers.getSetCookie().some((header) => header.startsWith('gatehouse.trusted-device.sig='))).toBe(true);
    // The token is in the cookie only; the server keeps its hash.
    const token = decodeURIComponent(cookie!.split(';')[0]!.split('=')[1]!).split('.')[1]!;
    const stored = await app.context.database.query('SELECT * FROM trusted_devices WHERE user_id = $1', [user.id]);
    expect(JSON.stringify(stored.rows)).not.toContain(token);
    await callbackOf(browser, await browser.get(remembered.location!, { followOrigins: [new URL(app.issuer).origin] }));

    // prompt=login asks for the password again, and the device stands in for the code.
    const relogin = await authorize(browser, rp, { prompt: 'login' });
    const skipped = await submitPassword(browser, relogin.page, user.email);
    // A remembered device is not a factor checked now: amr and acr stay at the password level.
    expect(await idTokenClaims(rp, browser, relogin, skipped)).toMatchObject({ amr: ['pwd'], acr: ACR_PASSWORD });

    const status = await browser.get(`${app.issuer}/account/two-factor`);
    expect(status.body).toContain('Remembered devices');
    const forget = parseForms(status).find((form) => form.action.endsWith('/account/two-factor/devices/forget'));
    expect(forget).toBeDefined();
    const forgotten = await browser.submit(status, { form: (form) => form.action === forget!.action });
    expect(forgotten.body).toContain('The device was forgotten.');
    expect(forgotten.body).toContain('No device is remembered.');
    expect(await auditTypes(user.id)).toContain('trusted_device.revoked');

    const back = await authorize(browser, rp, { prompt: 'login' });
    expect(isCodePage(await submitPassword(browser, back.page, user.email))).toBe(true);
  });

  it('forgets every remembered device when the password is reset', async () => {
    const user = await enrolledUser('reset');
    await settleStep();
    const browser = new Browser();
    await signInWithCode(browser, rp, user, codeAt(user.secret), { remember: true });
    expect(await app.context.trustedDevices.list(user.id)).toHaveLength(1);

    const mailer = new Browser();
    const forgot = await mailer.get(`${app.issuer}/account/forgot-password`);
    await mailer.submit(forgot, { button: 'Send the reset link', fields: { email: user.email } });
    const form = await mailer.get(await linkFromMail(app, user.email, 'Reset your password', '/account/reset-password'));
    const done = await mailer.submit(form, { button: 'Change password', fields: { password: NEW_PASSWORD } });
    expect(done.body).toContain('Your new password is set.');
    expect(await app.context.trustedDevices.list(user.id)).toEqual([]);

    // The browser still holds its device cookie, but the record behind it is gone.
    const flow = await authorize(browser, rp);
    expect(isCodePage(await submitPassword(browser, flow.page, user.email, NEW_PASSWORD))).toBe(true);
  });

  it('steps up an existing password-level session when a relying party asks for the two-factor acr', async () => {
    const user = await newUser('stepup');
    const browser = new Browser();
    const first = await authorize(browser, rp);
    expect(await idTokenClaims(rp, browser, first, await submitPassword(browser, first.page, user.email))).toMatchObject({ acr: ACR_PASSWORD });

    // Asked for it with no second factor yet: the person is led through enrolment, without the password again.
    const enrolFlow = await authorize(browser, rp, { acr_values: ACR_TWO_FACTOR });
    expect(enrolFlow.page.body).toContain('<h1>Set up two-factor sign-in</h1>');
    expect(enrolFlow.page.body).not.toContain('name="password"');
    const secret = setupKeyOf(enrolFlow.page);
    await settleStep();
    const ready = await browser.submit(enrolFlow.page, { button: 'Turn on two-factor sign-in', fields: { code: codeAt(secret, -1) } });
    expect(backupCodesOf(ready)).toHaveLength(10);
    const finished = await browser.submit(ready, { button: /^Continue to / });
    expect(await idTokenClaims(rp, browser, enrolFlow, finished)).toMatchObject({ sub: user.id, amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
    expect(await auditTypes(user.id)).toContain('two_factor.enrolled');
  });

  it('asks for the code again on a step-up even from a remembered device and a live session', async () => {
    const user = await enrolledUser('stepdevice');
    await settleStep();
    const browser = new Browser();
    await signInWithCode(browser, rp, user, codeAt(user.secret), { remember: true });
    const relogin = await authorize(browser, rp, { prompt: 'login' });
    expect(await idTokenClaims(rp, browser, relogin, await submitPassword(browser, relogin.page, user.email))).toMatchObject({ acr: ACR_PASSWORD });

    // The session is at the password level: without interaction that cannot be raised.
    const none = await authorize(browser, rp, { acr_values: ACR_TWO_FACTOR, prompt: 'none' });
    expect(new URL(none.page.location!).searchParams.get('error')).toBe('login_required');

    // acr_values naming the two-factor level asks for the code, and only the code.
    const stepUp = await authorize(browser, rp, { acr_values: `${ACR_TWO_FACTOR} ${ACR_PASSWORD}` });
    expect(isCodePage(stepUp.page)).toBe(true);
    const claims = await idTokenClaims(rp, browser, stepUp, await submitCode(browser, stepUp.page, codeAt(user.secret, 1)));
    expect(claims).toMatchObject({ sub: user.id, amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });

    // The essential-claim form of the same request is satisfied by the stepped-up session.
    const essential = await authorize(browser, rp, { claims: JSON.stringify({ id_token: { acr: { essential: true, values: [ACR_TWO_FACTOR] } } }) });
    expect(await idTokenClaims(rp, browser, essential, essential.page)).toMatchObject({ acr: ACR_TWO_FACTOR });
  });

  it('always asks for a second factor for a client that requires it, enrolling a person who has none', async () => {
    const user = await newUser('strict');
    const browser = new Browser();
    const flow = await authorize(browser, strictRp);
    const enrol = await submitPassword(browser, flow.page, user.email);
    expect(enrol.body).toContain('<h1>Set up two-factor sign-in</h1>');
    expect(enrol.body).toContain('<img class="qr" src="data:image/svg+xml;base64,');
    const secret = setupKeyOf(enrol);
    const empty = await browser.submit(enrol, { button: 'Turn on two-factor sign-in', fields: { code: '' } });
    expect(empty.status).toBe(400);
    expect(setupKeyOf(empty)).toBe(secret);
    await settleStep();
    const ready = await browser.submit(empty, { button: 'Turn on two-factor sign-in', fields: { code: codeAt(secret, -1) } });
    expect(ready.body).toContain('Save your backup codes');
    expect(backupCodesOf(ready)).toHaveLength(10);
    // Reloading shows the step again, never the codes.
    const reloaded = await browser.get(flow.page.url);
    expect(backupCodesOf(reloaded)).toEqual([]);
    const claims = await idTokenClaims(strictRp, browser, flow, await browser.submit(reloaded, { button: /^Continue to / }));
    expect(claims).toMatchObject({ sub: user.id, amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
    expect(await auditTypes(user.id)).toContain('two_factor.enrolled');

    // Remember the device on the ordinary client, then come back to the strict one.
    const laptop = new Browser();
    await signInWithCode(laptop, rp, { email: user.email }, codeAt(secret, 0), { remember: true });
    const relogin = await authorize(laptop, rp, { prompt: 'login' });
    expect(await idTokenClaims(rp, laptop, relogin, await submitPassword(laptop, relogin.page, user.email))).toMatchObject({ acr: ACR_PASSWORD });
    const strictFlow = await authorize(laptop, strictRp);
    expect(isCodePage(strictFlow.page)).toBe(true);
    const strictClaims = await idTokenClaims(strictRp, laptop, strictFlow, await submitCode(laptop, strictFlow.page, codeAt(secret, 1)));
    expect(strictClaims).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
  });

  it('honours prompt=login and max_age: password and code again, with a new auth_time', async () => {
    const user = await enrolledUser('fresh');
    await settleStep();
    const browser = new Browser();
    const first = await signInWithCode(browser, rp, user, codeAt(user.secret));
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const relogin = await authorize(browser, rp, { prompt: 'login' });
    const codePage = await submitPassword(browser, relogin.page, user.email);
    const second = await idTokenClaims(rp, browser, relogin, await submitCode(browser, codePage, codeAt(user.secret, 1)));
    expect(second).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
    expect(second.auth_time!).toBeGreaterThan(first.auth_time!);

    // auth_time has whole seconds: a second later the session is older than max_age=0.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const aged = await authorize(browser, rp, { max_age: '0' });
    expect(isPasswordPage(aged.page)).toBe(true);
    const agedCode = await submitPassword(browser, aged.page, user.email);
    expect(isCodePage(agedCode)).toBe(true);
    // Every code of this window is spent; a backup code finishes the sign-in.
    const third = await idTokenClaims(rp, browser, aged, await submitCode(browser, agedCode, user.backupCodes[0]!));
    expect(third.auth_time!).toBeGreaterThan(second.auth_time!);
    expect(third).toMatchObject({ acr: ACR_TWO_FACTOR });
  });

  it('turns two-factor off only with the password and a current code, and regenerates backup codes with the password', async () => {
    const user = await enrolledUser('off');
    await settleStep();
    const browser = new Browser();
    let page = await browser.get(`${app.issuer}/account/two-factor`);
    page = await submitCode(browser, await submitPassword(browser, page, user.email), codeAt(user.secret));
    expect(page.body).toContain('Two-factor sign-in is on.');

    const wrongPassword = await browser.submit(page, { button: 'Get new backup codes', fields: { currentPassword: 'not my password at all' } });
    expect(wrongPassword.status).toBe(400);
    expect(errorSummaryOf(wrongPassword)).toContain('That is not your current password.');
    expect(wrongPassword.body).toContain('href="#regenerate-currentPassword"');
    const regenerated = await browser.submit(page, { button: 'Get new backup codes', fields: { currentPassword: PASSWORD } });
    const fresh = backupCodesOf(regenerated);
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(user.backupCodes[0]);
    expect(await app.context.twoFactor.verifySecondFactor(user.id, user.backupCodes[0]!)).toMatchObject({ ok: false });

    const noCode = await browser.submit(page, { button: 'Turn off two-factor sign-in', fields: { currentPassword: PASSWORD, code: '' } });
    expect(noCode.status).toBe(400);
    expect(errorSummaryOf(noCode)).toContain('Enter the 6-digit code from your authenticator app, or a backup code.');
    const badPassword = await browser.submit(page, { button: 'Turn off two-factor sign-in', fields: { currentPassword: 'not my password at all', code: codeAt(user.secret, 1) } });
    expect(badPassword.status).toBe(400);
    expect(badPassword.body).toContain('href="#disable-currentPassword"');
    const badCode = await browser.submit(page, { button: 'Turn off two-factor sign-in', fields: { currentPassword: PASSWORD, code: '000000' === codeAt(user.secret, 1) ? '111111' : '000000' } });
    expect(badCode.status).toBe(400);
    expect(badCode.body).toContain('href="#disable-code"');
    expect(await app.context.twoFactor.status(user.id)).toMatchObject({ enrolled: true });

    const off = await browser.submit(page, { button: 'Turn off two-factor sign-in', fields: { currentPassword: PASSWORD, code: codeAt(user.secret, 1) } });
    expect(off.status).toBe(200);
    expect(off.body).toContain('Two-factor sign-in is off.');
    expect(await app.context.twoFactor.status(user.id)).toEqual({ enrolled: false, backupCodesLeft: 0, trustedDevices: 0 });
    expect(await auditTypes(user.id)).toEqual(expect.arrayContaining(['two_factor.disabled', 'two_factor.backup_codes_regenerated']));

    const other = new Browser();
    const flow = await authorize(other, rp);
    const claims = await idTokenClaims(rp, other, flow, await submitPassword(other, flow.page, user.email));
    expect(claims).toMatchObject({ amr: ['pwd'], acr: ACR_PASSWORD });
  });
});

describe('two-factor sign-in with policy mode "required"', () => {
  let testDatabase: TestDatabase;
  let app: TestApp;
  let rp: oidc.Configuration;
  /** Signed in with the password alone while two-factor was still optional. */
  let before: { browser: Browser; id: string; email: string };

  beforeAll(async () => {
    testDatabase = await createTestDatabase('pglite');
    const secrets = createTestSecrets();
    const optional = await startTestApp({ testDatabase, secrets });
    const client = await optional.context.clients.register({ name: 'Notebook', redirectUris: [RP_REDIRECT_URI] });
    const email = `before.${randomUUID()}@example.test`;
    const { id } = await optional.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browser = new Browser();
    const optionalRp = await discoverIssuer(optional.issuer, client.clientId, client.clientSecret!);
    const flow = await authorize(browser, optionalRp);
    expect(await idTokenClaims(optionalRp, browser, flow, await submitPassword(browser, flow.page, email))).toMatchObject({ acr: ACR_PASSWORD });
    before = { browser, id, email };
    await optional.close();

    app = await startTestApp({ testDatabase, secrets, env: { SETTINGS_FILE: settings.file('required', { twoFactor: { policy: { mode: 'required', requiredForRoles: ['admin'] } } }) } });
    rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  });
  afterAll(async () => {
    await app?.close();
    await testDatabase?.close();
  });

  const newUser = (name: string) => createUser(app, name);

  /** The enrolment page of a sign-in: a QR image and a setup key, and no password field. */
  function expectEnrolmentPage(page: Page): string {
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>Set up two-factor sign-in</h1>');
    expect(page.body).toContain('<img class="qr" src="data:image/svg+xml;base64,');
    expect(page.body).not.toContain('name="password"');
    return setupKeyOf(page);
  }

  it('loads the policy from the settings file, requiredForRoles included', () => {
    // requiredForRoles is accepted beside mode 'required' (two-factor-roles.test.ts shows it at work alone).
    expect(app.config.settings.twoFactor.policy).toEqual({ mode: 'required', requiredForRoles: ['admin'], requiredForClients: [] });
  });

  it('leads a person without an authenticator through enrolment during sign-in to a relying party', async () => {
    const user = await newUser('required');
    const browser = new Browser();
    const flow = await authorize(browser, rp);
    const enrol = await submitPassword(browser, flow.page, user.email);
    expect(new URL(enrol.url).pathname).toBe(new URL(flow.page.url).pathname);
    const secret = expectEnrolmentPage(enrol);
    expect(await app.context.twoFactor.status(user.id)).toMatchObject({ enrolled: false });

    await settleStep();
    const wrong = await browser.submit(enrol, { button: 'Turn on two-factor sign-in', fields: { code: codeAt(secret, 3) } });
    expect(wrong.status).toBe(400);
    expect(errorSummaryOf(wrong)).toContain('That code is not right.');
    expect(setupKeyOf(wrong)).toBe(secret);

    const ready = await browser.submit(wrong, { button: 'Turn on two-factor sign-in', fields: { code: codeAt(secret, -1) } });
    expect(ready.status).toBe(200);
    expect(ready.body).toContain('Save your backup codes');
    const backupCodes = backupCodesOf(ready);
    expect(backupCodes).toHaveLength(10);
    expect(new Set(backupCodes).size).toBe(10);
    // Shown once: reloading the step shows the button to continue and no codes.
    const reloaded = await browser.get(flow.page.url);
    expect(reloaded.body).toContain('<h1>Two-factor sign-in is on</h1>');
    expect(backupCodesOf(reloaded)).toEqual([]);

    const claims = await idTokenClaims(rp, browser, flow, await browser.submit(reloaded, { button: /^Continue to / }));
    expect(claims).toMatchObject({ sub: user.id, amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
    expect(await app.context.twoFactor.status(user.id)).toMatchObject({ enrolled: true, backupCodesLeft: 10 });
    const audit = await app.context.audit.query({ accountId: user.id, since: new Date(Date.now() - 3_600_000), limit: 100 });
    expect(audit.events.find((event) => event.type === 'two_factor.enrolled')?.detail).toMatchObject({ during: 'sign-in' });

    // From now on the person is asked for a code, never to enrol again.
    const other = new Browser();
    const next = await authorize(other, rp);
    const codePage = await submitPassword(other, next.page, user.email);
    expect(isCodePage(codePage)).toBe(true);
    expect(await idTokenClaims(rp, other, next, await submitCode(other, codePage, backupCodes[0]!))).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
  });

  it('holds the account pages to the same policy: enrolment before /account opens', async () => {
    const user = await newUser('account');
    const browser = new Browser();
    const signIn = await browser.get(`${app.issuer}/account/two-factor`);
    const enrol = await submitPassword(browser, signIn, user.email);
    const secret = expectEnrolmentPage(enrol);
    expect(await app.context.twoFactor.status(user.id)).toMatchObject({ enrolled: false });

    // The password alone made no session: without interaction there is no one signed in.
    const silent = await authorize(browser, rp, { prompt: 'none' });
    expect(new URL(silent.page.location!).searchParams.get('error')).toBe('login_required');

    await settleStep();
    const ready = await browser.submit(enrol, { button: 'Turn on two-factor sign-in', fields: { code: codeAt(secret) } });
    expect(backupCodesOf(ready)).toHaveLength(10);
    const page = await browser.submit(ready, { button: /^Continue to / });
    expect(new URL(page.url).pathname).toBe('/account/two-factor');
    expect(page.body).toContain('Two-factor sign-in is on.');
    expect(page.body).toContain('10 of 10 backup codes left.');

    // Signing in to the account pages again asks for a code.
    const other = new Browser();
    const again = await submitPassword(other, await other.get(`${app.issuer}/account`), user.email);
    expect(isCodePage(again)).toBe(true);
    const home = await submitCode(other, again, codeAt(secret, 1));
    expect(new URL(home.url).pathname).toBe('/account');
  });

  it('sends a password-level session from before the policy through enrolment instead of carrying it on', async () => {
    const { browser, id } = before;
    const none = await authorize(browser, rp, { prompt: 'none' });
    expect(new URL(none.page.location!).searchParams.get('error')).toBe('login_required');

    // Only enrolment is asked for: the session already has the password.
    const flow = await authorize(browser, rp);
    const secret = expectEnrolmentPage(flow.page);
    await settleStep();
    const ready = await browser.submit(flow.page, { button: 'Turn on two-factor sign-in', fields: { code: codeAt(secret) } });
    expect(backupCodesOf(ready)).toHaveLength(10);
    const claims = await idTokenClaims(rp, browser, flow, await browser.submit(ready, { button: /^Continue to / }));
    expect(claims).toMatchObject({ sub: id, amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });

    // Enrolled, the session carries on at the two-factor level.
    const again = await authorize(browser, rp, { prompt: 'none' });
    expect(await idTokenClaims(rp, browser, again, again.page)).toMatchObject({ sub: id, acr: ACR_TWO_FACTOR });
  });

  it('lets a remembered device of an enrolled person skip the code, as in optional mode', async () => {
    const user = await newUser('device');
    const browser = new Browser();
    const flow = await authorize(browser, rp);
    const enrol = await submitPassword(browser, flow.page, user.email);
    const secret = expectEnrolmentPage(enrol);
    await settleStep();
    const ready = await browser.submit(enrol, { button: 'Turn on two-factor sign-in', fields: { code: codeAt(secret, -1) } });
    await idTokenClaims(rp, browser, flow, await browser.submit(ready, { button: /^Continue to / }));

    const relogin = await authorize(browser, rp, { prompt: 'login' });
    const codePage = await submitPassword(browser, relogin.page, user.email);
    await idTokenClaims(rp, browser, relogin, await submitCode(browser, codePage, codeAt(secret), { remember: true }));
    const remembered = await authorize(browser, rp, { prompt: 'login' });
    const skipped = await submitPassword(browser, remembered.page, user.email);
    expect(await idTokenClaims(rp, browser, remembered, skipped)).toMatchObject({ amr: ['pwd'], acr: ACR_PASSWORD });
    // That password-level session carries on: the account has its second factor.
    const sso = await authorize(browser, rp, { prompt: 'none' });
    expect(await idTokenClaims(rp, browser, sso, sso.page)).toMatchObject({ acr: ACR_PASSWORD });
  });

  it('answers access_denied to the relying party when the person cancels enrolment', async () => {
    const user = await newUser('cancel');
    const browser = new Browser();
    const flow = await authorize(browser, rp);
    const enrol = await submitPassword(browser, flow.page, user.email);
    expectEnrolmentPage(enrol);
    const cancelled = await browser.submit(enrol, { button: /^Cancel and go back to / });
    const callback = await callbackOf(browser, cancelled);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(flow.request.state);
    expect(callback.searchParams.has('code')).toBe(false);
    expect(await app.context.twoFactor.status(user.id)).toMatchObject({ enrolled: false });

    // No session was made: the next sign-in asks for the password and then for enrolment again.
    const retry = await authorize(browser, rp);
    expectEnrolmentPage(await submitPassword(browser, retry.page, user.email));
  });
});
