// The audit trail of real flows through the running app: sign-in (failed, then successful),
// consent, tokens issued and revoked, sign-out, registration, verification and password reset.
// Every row carries where the request came from, and no secret of the run appears in any row.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/services/audit.js';
import { linkFromMail } from '../helpers/accounts.js';
import { Browser, parseForms, type RequestOptions } from '../helpers/browser.js';
import { storageKinds } from '../helpers/database.js';
import {
  buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_POST_LOGOUT_REDIRECT_URI, RP_REDIRECT_URI, signIn,
} from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const EMAIL = 'hedy@example.test';
const PASSWORD = 'frequency hopping spread spectrum';
const WRONG_PASSWORD = 'a wrong but plausible passphrase';
const NEW_PASSWORD = 'torpedo steering by radio waves';
const USER_AGENT = 'AuditFlows/1.0 (a test browser)';
const LOCALHOST = /^(::ffff:)?127\.0\.0\.1$/;

/** A Browser that names itself, so rows can be checked for its user agent. */
class NamedBrowser extends Browser {
  override request(url: string, options: RequestOptions = {}) {
    return super.request(url, { ...options, headers: { 'user-agent': USER_AGENT, ...options.headers } });
  }
}

/** Every value a browser was handed that would work as a credential: cookies and CSRF tokens. */
function browserSecrets(browser: Browser): string[] {
  return browser.history.flatMap((page) => [
    ...page.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!.split('=').slice(1).join('=')),
    ...parseForms(page).map((form) => form.fields.csrf ?? ''),
  ]);
}

describe.each(storageKinds)('audit trail of real flows on %s', (kind) => {
  let app: TestApp;
  let rp: oidc.Configuration;
  let clientId: string;
  let clientSecret: string;

  beforeAll(async () => {
    app = await startTestApp({ kind });
    await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true, name: 'Hedy Lamarr' });
    const client = await app.context.clients.register({
      name: 'Audited', redirectUris: [RP_REDIRECT_URI], postLogoutRedirectUris: [RP_POST_LOGOUT_REDIRECT_URI],
    });
    clientId = client.clientId;
    clientSecret = client.clientSecret!;
    rp = await discoverIssuer(app.issuer, clientId, clientSecret);
  });
  afterAll(async () => { await app?.close(); });

  /** Rows written by provider events land just after the response: wait for as many as expected. */
  async function eventsOnceThere(expected: Record<string, number>): Promise<AuditEvent[]> {
    let events: AuditEvent[] = [];
    for (let attempt = 0; attempt < 100; attempt += 1) {
      events = (await app.context.audit.query({ since: new Date(Date.now() - 3_600_000), limit: 1000 })).events;
      if (Object.entries(expected).every(([type, n]) => events.filter((event) => event.type === type).length >= n)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return events;
  }

  async function expectNoSecretInAnyRow(secrets: string[]): Promise<void> {
    const rows = JSON.stringify((await app.context.database.query('SELECT * FROM audit_events')).rows);
    for (const secret of secrets.filter((value) => value.length >= 8)) expect(rows, 'a secret reached the audit trail').not.toContain(secret);
  }

  it('records a failed and a good sign-in, consent, tokens issued and revoked, and sign-out, with IP, user agent and client', async () => {
    const browser = new NamedBrowser();
    const follow = { followOrigins: [new URL(app.issuer).origin] };
    const request = await buildAuthorizationRequest(rp, { scope: 'openid email offline_access', extraParams: { prompt: 'consent' } });
    const login = await browser.get(request.url.href, follow);
    const failed = await browser.submit(login, { button: 'Sign in', fields: { email: 'Hedy@Example.test', password: WRONG_PASSWORD }, ...follow });
    expect(failed.status).toBe(400);
    const consent = await browser.submit(failed, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, ...follow });
    const back = await browser.submit(consent, { button: 'Allow', ...follow });
    expect(back.location).toMatch(new RegExp(`^${RP_REDIRECT_URI}`));
    const callbackUrl = new URL(back.location!);
    const tokens = await exchangeCode(rp, { request, callbackUrl });
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    // Revoking an access token ends every token of its grant but keeps the grant (revokeGrantPolicy),
    // so the same session gets fresh tokens without being asked again; revoking a refresh token ends the grant.
    await oidc.tokenRevocation(rp, refreshed.access_token);
    const again = await signIn(browser, rp, { email: EMAIL, password: PASSWORD, scope: 'openid email offline_access' });
    const fresh = await exchangeCode(rp, again);
    await oidc.tokenRevocation(rp, fresh.refresh_token!);
    const logout = oidc.buildEndSessionUrl(rp, { id_token_hint: fresh.id_token!, post_logout_redirect_uri: RP_POST_LOGOUT_REDIRECT_URI });
    const signedOut = await browser.submit(await browser.get(logout.href, follow), { button: 'Sign out', ...follow });
    expect(signedOut.location).toMatch(new RegExp(`^${RP_POST_LOGOUT_REDIRECT_URI}`));

    const events = await eventsOnceThere({ 'login.failure': 1, 'login.success': 1, 'consent.granted': 1, 'token.issued': 3, 'token.revoked': 3, logout: 1 });
    const accountId = (await app.context.users.authenticateWithPassword(EMAIL, PASSWORD))!.id;
    const fromBrowser = { ip: expect.stringMatching(LOCALHOST), userAgent: USER_AGENT, clientId };
    const one = (type: string, match: (event: AuditEvent) => boolean = () => true) => {
      const found = events.filter((event) => event.type === type && match(event));
      expect(found, type).toHaveLength(1);
      return found[0]!;
    };
    expect(one('login.failure')).toMatchObject({
      ...fromBrowser, outcome: 'failure', accountId: null, email: 'Hedy@Example.test', detail: { method: 'password', reason: 'bad_credentials' },
    });
    expect(one('login.success')).toMatchObject({ ...fromBrowser, outcome: 'success', accountId, email: EMAIL });
    expect(one('consent.granted')).toMatchObject({ ...fromBrowser, accountId, detail: { extended: false } });
    expect(String(one('consent.granted').detail.scope).split(' ').sort()).toEqual(['email', 'offline_access', 'openid']);
    expect(one('logout')).toMatchObject({ ...fromBrowser, accountId, detail: { ended: 'session' } });

    // The token endpoint is called by the relying party itself, not the browser.
    const grantId = one('consent.granted').detail.grantId;
    const fromRp = { ip: expect.stringMatching(LOCALHOST), userAgent: expect.any(String), clientId, accountId, outcome: 'success' };
    const issued = events.filter((e) => e.type === 'token.issued').map((e) => e.detail.grantType).reverse();
    expect(issued).toEqual(['authorization_code', 'refresh_token', 'authorization_code']);
    for (const event of events.filter((e) => e.type === 'token.issued')) expect(event).toMatchObject({ ...fromRp, detail: { refreshIssued: true, grantId } });
    expect(one('token.revoked', (e) => e.detail.kind === 'access')).toMatchObject({ ...fromRp, detail: { grantId, reason: 'revoked_by_client' } });
    expect(one('token.revoked', (e) => e.detail.kind === 'refresh')).toMatchObject({ ...fromRp, detail: { grantId, reason: 'revoked_by_client' } });
    expect(one('token.revoked', (e) => e.detail.kind === undefined)).toMatchObject({ ...fromRp, detail: { grantId, reason: 'revoked_by_client' } });

    await expectNoSecretInAnyRow([
      PASSWORD, WRONG_PASSWORD, clientSecret, callbackUrl.searchParams.get('code')!, request.codeVerifier,
      again.callbackUrl.searchParams.get('code')!, again.request.codeVerifier,
      ...[tokens, refreshed, fresh].flatMap((set) => [set.access_token, set.refresh_token ?? '', set.id_token ?? '']),
      ...browserSecrets(browser),
    ]);
  });

  it('records registration, a taken address, verification and a password reset, without links or passwords', async () => {
    const email = 'ida@example.test';
    const browser = new NamedBrowser();
    const register = async () => browser.submit(await browser.get(`${app.issuer}/account/register`), {
      button: 'Create account', fields: { email, name: 'Ida Noddack', password: PASSWORD }, followRedirects: false,
    });
    expect((await register()).status).toBe(303);
    const verifyLink = await linkFromMail(app, email, 'Confirm your email address', '/account/verify-email');
    expect((await register()).status).toBe(303);
    const confirmed = await browser.submit(await browser.get(verifyLink), { button: 'Confirm email address', followRedirects: false });
    expect(confirmed.status).toBe(303);
    for (const address of [email, 'nobody@example.test']) {
      await browser.submit(await browser.get(`${app.issuer}/account/forgot-password`), {
        button: 'Send the reset link', fields: { email: address }, followRedirects: false,
      });
    }
    const resetLink = await linkFromMail(app, email, 'Reset your password', '/account/reset-password');
    const reset = await browser.submit(await browser.get(resetLink), { button: 'Change password', fields: { password: NEW_PASSWORD }, followRedirects: false });
    expect(reset.status).toBe(303);

    const accountId = (await app.context.users.authenticateWithPassword(email, NEW_PASSWORD))!.id;
    const events = (await app.context.audit.query({ email, since: new Date(Date.now() - 3_600_000), limit: 100 })).events;
    const fromBrowser = { ip: expect.stringMatching(LOCALHOST), userAgent: USER_AGENT, accountId };
    expect(events.map((event) => [event.type, event.outcome]).reverse()).toEqual([
      ['registration', 'success'], ['registration', 'failure'], ['email.verified', 'success'],
      ['password.reset_requested', 'success'], ['password.reset', 'success'],
    ]);
    for (const event of events) expect(event).toMatchObject({ ...fromBrowser, email });
    expect(events.find((event) => event.outcome === 'failure')!.detail).toEqual({ reason: 'email_taken' });
    const unknown = await app.context.audit.query({ email: 'nobody@example.test', since: new Date(Date.now() - 3_600_000), limit: 10 });
    expect(unknown.events).toEqual([expect.objectContaining({
      type: 'password.reset_requested', outcome: 'failure', accountId: null, detail: { reason: 'unknown_address' },
    })]);

    await expectNoSecretInAnyRow([
      PASSWORD, NEW_PASSWORD, new URL(verifyLink).searchParams.get('token')!, new URL(resetLink).searchParams.get('token')!, ...browserSecrets(browser),
    ]);
  });
});
