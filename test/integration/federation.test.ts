// Sign-in through a generic OpenID upstream, end to end over real HTTP on every storage
// variant: a second OpenID provider runs in this process (test/helpers/upstream-provider.ts) and
// Gatehouse finds it by discovery. Covers the happy path (account created, amr 'fed', idp claim),
// state and nonce mismatch, denial at the upstream, an unverified email, linking to an existing
// account (password, then the second factor), the account's sign-in methods page (link, unlink,
// never the last), and the two-factor policy after a federated sign-in, with and without trusting
// the upstream's own second factor (trustUpstreamMfa).
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_TWO_FACTOR } from '../../src/oidc/two-factor-policy.js';
import { createSettingsFiles, relyingParty, storageVariants } from '../helpers/accounts.js';
import { Browser, decodeEntities, setupKeyOf, textOf, type Page } from '../helpers/browser.js';
import { buildAuthorizationRequest, exchangeCode, RP_REDIRECT_URI, type AuthorizationRequest } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { totpCode } from '../helpers/totp.js';
import { listenUpstream, signInUpstream, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET, type TestUpstream } from '../helpers/upstream-provider.js';

const PASSWORD = 'a long and memorable passphrase';
const settings = createSettingsFiles('gh-federation-');
afterAll(() => settings.remove());

/** A provider entry in Gatehouse's settings: its id (in the callback path) and its button's name. */
interface UpstreamChoice {
  id: string;
  displayName: string;
}
// The same test upstream is configured twice; only the second trusts its amr 'mfa' (trustUpstreamMfa).
const TEST_UPSTREAM: UpstreamChoice = { id: 'upstream', displayName: 'Test Upstream' };
const TRUSTED_UPSTREAM: UpstreamChoice = { id: 'trusted', displayName: 'Trusted Upstream' };


interface Started {
  request: AuthorizationRequest;
  /** The upstream's login page. */
  page: Page;
}

describe.each(storageVariants)('federated sign-in on $name', ({ name, options }) => {
  let upstream: TestUpstream;
  let app: TestApp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    upstream = await listenUpstream();
    const provider = { issuer: upstream.issuer, clientId: UPSTREAM_CLIENT_ID, clientSecretEnv: 'UPSTREAM_CLIENT_SECRET' };
    app = await startTestApp({
      ...options,
      env: {
        SETTINGS_FILE: settings.file(`federation-${name.replace(/\W+/g, '-')}`, {
          federation: { providers: [{ ...TEST_UPSTREAM, ...provider }, { ...TRUSTED_UPSTREAM, ...provider, trustUpstreamMfa: true }] },
        }),
        UPSTREAM_CLIENT_SECRET,
      },
    });
    upstream.start([TEST_UPSTREAM, TRUSTED_UPSTREAM].map(({ id }) => callbackOf(id)));
    rp = await relyingParty(app);
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await upstream?.close();
  });

  function callbackOf(providerId: string): string {
    return `${app.issuer}/federation/${providerId}/callback`;
  }

  function origins(): string[] {
    return [new URL(app.issuer).origin, new URL(upstream.issuer).origin];
  }

  /** Starts at the relying party, clicks "Continue with <upstream>", arrives at the upstream. */
  async function startFederated(
    browser: Browser,
    { via = TEST_UPSTREAM, extraParams, tamper }: { via?: UpstreamChoice; extraParams?: Record<string, string>; tamper?: (url: URL) => void } = {},
  ): Promise<Started> {
    const request = await buildAuthorizationRequest(rp, { scope: 'openid email', extraParams });
    const login = await browser.get(request.url.href);
    expect(login.status).toBe(200);
    const toUpstream = await browser.submit(login, { button: `Continue with ${via.displayName}`, followRedirects: false });
    expect(toUpstream.status).toBe(303);
    const authorize = new URL(toUpstream.location!);
    expect(authorize.origin).toBe(upstream.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(callbackOf(via.id));
    tamper?.(authorize);
    return { request, page: await browser.get(authorize.href, { followOrigins: origins() }) };
  }

  /** Back at the relying party (allowing consent on the way), the code exchanged. */
  async function tokensAfter(browser: Browser, request: AuthorizationRequest, page: Page) {
    let last = page;
    if (last.status === 200 && last.body.includes('<h1>Allow access?</h1>')) last = await browser.submit(last, { button: 'Allow' });
    expect(last.location?.startsWith(RP_REDIRECT_URI), `${last.url} ${last.status}\n${last.body}`).toBe(true);
    return exchangeCode(rp, { request, callbackUrl: new URL(last.location!) });
  }

  async function userIdOf(email: string): Promise<string | undefined> {
    const result = await app.context.database.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = lower($1)', [email]);
    return result.rows[0]?.id;
  }

  async function identitiesOf(userId: string): Promise<{ provider_id: string; subject: string }[]> {
    const result = await app.context.database.query<{ provider_id: string; subject: string }>('SELECT provider_id, subject FROM federated_identities WHERE user_id = $1', [userId]);
    return result.rows;
  }

  describe('sign-in through a generic OpenID upstream', () => {
    it('creates an account for a verified email, says amr fed and idp, and signs in to it again', async () => {
      upstream.accounts.set('ada', { email: 'ada@example.com', emailVerified: true, name: 'Ada Lovelace' });
      const browser = new Browser();
      const { request, page } = await startFederated(browser);
      const back = await signInUpstream(browser, page, 'ada', origins());
      const tokens = await tokensAfter(browser, request, back);
      const claims = tokens.claims()!;
      expect(claims.amr).toEqual(['fed']);
      expect(claims.idp).toBe('upstream');
      const userId = await userIdOf('ada@example.com');
      expect(claims.sub).toBe(userId);
      expect(await identitiesOf(userId!)).toEqual([{ provider_id: 'upstream', subject: 'ada' }]);
      const row = await app.context.database.query<{ password_hash: string | null; email_verified: boolean; name: string }>('SELECT password_hash, email_verified, name FROM users WHERE id = $1', [userId]);
      expect(row.rows[0]).toEqual({ password_hash: null, email_verified: true, name: 'Ada Lovelace' });

      // A new browser, the same upstream identity: the same account, nothing new created.
      const again = new Browser();
      const second = await startFederated(again);
      const secondTokens = await tokensAfter(again, second.request, await signInUpstream(again, second.page, 'ada', origins()));
      expect(secondTokens.claims()!.sub).toBe(userId);
      expect(secondTokens.claims()!.idp).toBe('upstream');
    });
  });

  describe('a round trip that does not check out ends on a readable page', () => {
    it('refuses a callback whose state does not match, and one from a browser that never started it', async () => {
      upstream.accounts.set('sam', { email: 'sam@example.com', emailVerified: true });
      const browser = new Browser();
      const { page } = await startFederated(browser);
      // Stop at the upstream's redirect back to us.
      const back = await signInUpstream(browser, page, 'sam', [new URL(upstream.issuer).origin]);
      const callback = new URL(back.location!);
      expect(callback.pathname).toBe('/federation/upstream/callback');

      const stranger = await new Browser().get(callback.href);
      expect(stranger.status).toBe(400);
      expect(textOf(stranger)).toContain('This sign-in has expired or was started in another browser.');

      const tampered = new URL(callback);
      tampered.searchParams.set('state', 'not-the-state-we-sent');
      const refused = await browser.get(tampered.href);
      expect(refused.status).toBe(400);
      expect(textOf(refused)).toContain('This sign-in has expired or was started in another browser.');
      // The state cookie was spent by that attempt: the genuine answer cannot be replayed after it.
      expect((await browser.get(callback.href)).status).toBe(400);
      expect(await userIdOf('sam@example.com')).toBeUndefined();
    });

    it('refuses an ID token whose nonce is not the one sent', async () => {
      upstream.accounts.set('nia', { email: 'nia@example.com', emailVerified: true });
      const browser = new Browser();
      const { page } = await startFederated(browser, { tamper: (url) => url.searchParams.set('nonce', 'a-nonce-of-someone-else') });
      const back = await signInUpstream(browser, page, 'nia', origins());
      expect(back.status).toBe(400);
      expect(textOf(back)).toContain('Signing in with Test Upstream did not complete: its answer could not be verified.');
      expect(await userIdOf('nia@example.com')).toBeUndefined();
    });

    it('refuses an answer on another provider’s callback path (mix-up)', async () => {
      const browser = new Browser();
      const { page } = await startFederated(browser);
      upstream.accounts.set('mix', { email: 'mix@example.com', emailVerified: true });
      const back = await signInUpstream(browser, page, 'mix', [new URL(upstream.issuer).origin]);
      const elsewhere = new URL(back.location!);
      elsewhere.pathname = '/federation/google/callback';
      const refused = await browser.get(elsewhere.href);
      expect(refused.status).toBe(400);
      expect(textOf(refused)).toContain('expired or was started in another browser');
    });

    it('says so when the person cancels at the upstream, with a way back to the sign-in page', async () => {
      const browser = new Browser();
      const { page } = await startFederated(browser);
      const abort = /href="([^"]*\/abort)"/.exec(page.body)?.[1];
      expect(abort).toBeDefined();
      const back = await browser.get(new URL(decodeEntities(abort!), page.url).href, { followOrigins: origins() });
      expect(back.status).toBe(400);
      expect(textOf(back)).toContain('Signing in with Test Upstream was cancelled.');
      const signInAgain = /<a href="(\/interaction\/[^"]+)">Back to sign in<\/a>/.exec(back.body)?.[1];
      expect(signInAgain).toBeDefined();
      const loginPage = await browser.get(new URL(signInAgain!, app.issuer).href);
      expect(loginPage.status).toBe(200);
      expect(loginPage.body).toContain('name="password"');
    });

    it('creates no account when the upstream has not verified the email', async () => {
      upstream.accounts.set('una', { email: 'una@example.com', emailVerified: false });
      const browser = new Browser();
      const { page } = await startFederated(browser);
      const back = await signInUpstream(browser, page, 'una', origins());
      expect(back.status).toBe(403);
      expect(textOf(back)).toContain('Test Upstream did not confirm an email address for you, so no account was created.');
      expect(await userIdOf('una@example.com')).toBeUndefined();
    });
  });

  describe('an upstream identity whose email already has an account', () => {
    it('is linked only after that account’s password, then signs in alone', async () => {
      const user = await app.context.users.create({ email: 'lin@example.com', password: PASSWORD, emailVerified: true });
      upstream.accounts.set('lin', { email: 'lin@example.com', emailVerified: true });
      const browser = new Browser();
      const { request, page } = await startFederated(browser);
      const linkPage = await signInUpstream(browser, page, 'lin', origins());
      expect(linkPage.status).toBe(200);
      expect(textOf(linkPage)).toContain('An account for lin@example.com already exists.');
      expect(await identitiesOf(user.id)).toEqual([]);

      const wrong = await browser.submit(linkPage, { button: 'Link and sign in', fields: { password: 'not the password at all' } });
      expect(wrong.status).toBe(400);
      expect(textOf(wrong)).toContain('Incorrect password.');
      expect(await identitiesOf(user.id)).toEqual([]);

      const done = await browser.submit(wrong, { button: 'Link and sign in', fields: { password: PASSWORD } });
      const claims = (await tokensAfter(browser, request, done)).claims()!;
      expect(claims.sub).toBe(user.id);
      expect(claims.amr).toEqual(['fed', 'pwd']);
      expect(claims.idp).toBe('upstream');
      expect(await identitiesOf(user.id)).toEqual([{ provider_id: 'upstream', subject: 'lin' }]);

      const later = new Browser();
      const again = await startFederated(later);
      const tokens = await tokensAfter(later, again.request, await signInUpstream(later, again.page, 'lin', origins()));
      expect(tokens.claims()!.sub).toBe(user.id);
      expect(tokens.claims()!.amr).toEqual(['fed']);
    });

    it('asks for the second factor too when the account has one, and links only after it', async () => {
      const user = await app.context.users.create({ email: 'two@example.com', password: PASSWORD, emailVerified: true });
      const enrolment = await app.context.twoFactor.beginEnrolment(user.id, user.email);
      const secretOf = () => enrolment.secretText.replace(/\s+/g, '');
      const confirmed = await app.context.twoFactor.confirmEnrolment(user.id, totpCode(secretOf(), Date.now()));
      if (!confirmed.ok) throw new Error('enrolment not confirmed');
      upstream.accounts.set('two', { email: 'two@example.com', emailVerified: true });

      const browser = new Browser();
      const { request, page } = await startFederated(browser);
      const linkPage = await signInUpstream(browser, page, 'two', origins());
      const codePage = await browser.submit(linkPage, { button: 'Link and sign in', fields: { password: PASSWORD } });
      expect(codePage.body).toContain('<h1>Enter your code</h1>');
      expect(await identitiesOf(user.id)).toEqual([]);
      const done = await browser.submit(codePage, { button: 'Continue', fields: { code: totpCode(secretOf(), Date.now() + 30_000) } });
      const claims = (await tokensAfter(browser, request, done)).claims()!;
      expect(claims.amr).toEqual(['fed', 'pwd', 'otp']);
      expect(await identitiesOf(user.id)).toEqual([{ provider_id: 'upstream', subject: 'two' }]);

      // The two-factor policy applies to the federated sign-in that follows.
      const later = new Browser();
      const again = await startFederated(later);
      const code = await signInUpstream(later, again.page, 'two', origins());
      expect(code.body).toContain('<h1>Enter your code</h1>');
      const finished = await later.submit(code, { button: 'Continue', fields: { code: confirmed.backupCodes[0]! } });
      const laterClaims = (await tokensAfter(later, again.request, finished)).claims()!;
      expect(laterClaims.amr).toEqual(['fed', 'otp']);
      expect(laterClaims.acr).toBe('urn:gatehouse:acr:2fa');
      expect(laterClaims.idp).toBe('upstream');
    });
  });

  describe('the sign-in methods page', () => {
    async function methodsPage(browser: Browser): Promise<Page> {
      const page = await browser.get(`${app.issuer}/account/sign-in-methods`);
      expect(page.status, page.body).toBe(200);
      return page;
    }

    it('never removes the only way to sign in of an account without a password', async () => {
      upstream.accounts.set('solo', { email: 'solo@example.com', emailVerified: true });
      const browser = new Browser();
      const { request, page } = await startFederated(browser);
      await tokensAfter(browser, request, await signInUpstream(browser, page, 'solo', origins()));
      const methods = await methodsPage(browser);
      expect(textOf(methods)).toContain('Your account has no password.');
      expect(textOf(methods)).toContain('This is the only way to sign in to your account, so it cannot be removed.');
      expect(methods.body).not.toContain('Remove Test Upstream');
      // Posting the removal anyway changes nothing.
      const userId = (await userIdOf('solo@example.com'))!;
      const [identity] = (await app.context.database.query<{ id: string }>('SELECT id FROM federated_identities WHERE user_id = $1', [userId])).rows;
      const csrf = /name="csrf" value="([^"]+)"/.exec((await browser.get(`${app.issuer}/account`)).body)![1]!;
      const refused = await browser.request(`${app.issuer}/account/sign-in-methods/unlink`, { form: { csrf, identity: identity!.id } });
      expect(textOf(refused)).toContain('That is the only way to sign in to your account, so it was not removed.');
      expect(await identitiesOf(userId)).toHaveLength(1);
    });

    it('links a provider after the current password, and unlinks it', async () => {
      const user = await app.context.users.create({ email: 'acc@example.com', password: PASSWORD, emailVerified: true });
      upstream.accounts.set('acc-upstream', { email: 'someone-else@example.com', emailVerified: true });
      const browser = new Browser();
      const signInPage = await browser.get(`${app.issuer}/account`);
      const home = await browser.submit(signInPage, { button: 'Sign in', fields: { email: user.email, password: PASSWORD } });
      expect(home.status).toBe(200);
      expect(textOf(home)).toContain('Sign-in methods');

      const methods = await methodsPage(browser);
      const missing = await browser.submit(methods, { button: 'Link Test Upstream', fields: { currentPassword: '' } });
      expect(missing.status).toBe(400);
      expect(textOf(missing)).toContain('Enter your current password.');
      const wrong = await browser.submit(missing, { button: 'Link Test Upstream', fields: { currentPassword: 'wrong wrong wrong wrong' } });
      expect(wrong.status).toBe(400);

      const atUpstream = await browser.submit(wrong, { button: 'Link Test Upstream', fields: { currentPassword: PASSWORD }, followOrigins: origins() });
      const linked = await signInUpstream(browser, atUpstream, 'acc-upstream', origins());
      expect(linked.status, textOf(linked)).toBe(200);
      expect(textOf(linked)).toContain('The sign-in method was added.');
      expect(textOf(linked)).toContain('Test Upstream (someone-else@example.com)');
      expect(await identitiesOf(user.id)).toEqual([{ provider_id: 'upstream', subject: 'acc-upstream' }]);

      const removed = await browser.submit(linked, { button: 'Remove Test Upstream' });
      expect(textOf(removed)).toContain('The sign-in method was removed.');
      expect(await identitiesOf(user.id)).toEqual([]);
      const audit = await app.context.database.query<{ type: string; outcome: string }>(
        "SELECT type, outcome FROM audit_events WHERE account_id = $1 AND type LIKE 'federation.%' ORDER BY occurred_at", [user.id],
      );
      expect(audit.rows).toEqual([{ type: 'federation.linked', outcome: 'failure' }, { type: 'federation.linked', outcome: 'success' }, { type: 'federation.unlinked', outcome: 'success' }]);
    });
  });

  describe('an upstream whose ID token says it asked for a second factor (amr mfa)', () => {
    // Step-up through acr_values: this request must end with a second factor, whatever the session.
    const twoFactorRequested = { acr_values: ACR_TWO_FACTOR };

    it('satisfies the two-factor policy when that provider is trusted for it, without a Gatehouse code', async () => {
      upstream.accounts.set('mfa-trusted', { email: 'mfa-trusted@example.com', emailVerified: true, amr: ['pwd', 'mfa'] });
      const browser = new Browser();
      const { request, page } = await startFederated(browser, { via: TRUSTED_UPSTREAM, extraParams: twoFactorRequested });
      const claims = (await tokensAfter(browser, request, await signInUpstream(browser, page, 'mfa-trusted', origins()))).claims()!;
      expect(claims.acr).toBe(ACR_TWO_FACTOR);
      expect(claims.amr).toEqual(['fed', 'mfa']);
      expect(claims.idp).toBe('trusted');
      expect(await app.context.twoFactor.status(String(claims.sub))).toMatchObject({ enrolled: false });
    });

    it('does not when the provider is not trusted for it: the person enrols, and the code is the second factor', async () => {
      upstream.accounts.set('mfa-untrusted', { email: 'mfa-untrusted@example.com', emailVerified: true, amr: ['pwd', 'mfa'] });
      const browser = new Browser();
      const { request, page } = await startFederated(browser, { extraParams: twoFactorRequested });
      const enrol = await signInUpstream(browser, page, 'mfa-untrusted', origins());
      expect(enrol.status).toBe(200);
      expect(enrol.body).toContain('<h1>Set up two-factor sign-in</h1>');
      const ready = await browser.submit(enrol, { button: 'Turn on two-factor sign-in', fields: { code: totpCode(setupKeyOf(enrol), Date.now()) } });
      expect(ready.body).toContain('<h1>Two-factor sign-in is on</h1>');
      const claims = (await tokensAfter(browser, request, await browser.submit(ready, { button: 'Continue to Notebook' }))).claims()!;
      expect(claims.acr).toBe(ACR_TWO_FACTOR);
      expect(claims.amr).toEqual(['fed', 'otp']);
      expect(claims.idp).toBe('upstream');

      // Enrolled now: the next sign-in through the same untrusted provider asks for the code.
      const later = new Browser();
      const again = await startFederated(later, { extraParams: twoFactorRequested });
      const code = await signInUpstream(later, again.page, 'mfa-untrusted', origins());
      expect(code.body).toContain('<h1>Enter your code</h1>');
    });

    it('does not when a trusted provider’s ID token has no mfa in amr', async () => {
      upstream.accounts.set('pwd-only', { email: 'pwd-only@example.com', emailVerified: true, amr: ['pwd'] });
      const browser = new Browser();
      const { page } = await startFederated(browser, { via: TRUSTED_UPSTREAM, extraParams: twoFactorRequested });
      const enrol = await signInUpstream(browser, page, 'pwd-only', origins());
      expect(enrol.body).toContain('<h1>Set up two-factor sign-in</h1>');
    });
  });
});
