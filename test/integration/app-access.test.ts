// Per-app access: a client that requires roles or groups admits only people holding one of them.
// Anyone else is stopped after sign-in on a page that says so and whom to ask, and the app gets
// access_denied; under prompt=none at once. Taking access away stops the refresh token. A client
// limited to some roles sees only those in the roles claim. openid-client is the relying party.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { storageKinds } from '../helpers/database.js';
import { buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const CLI = { by: 'admin-cli' };
const NO_ACCESS = 'the account has no access to this application';

describe.each(storageKinds)('per-app access on %s', (kind) => {
  let app: TestApp;
  let helpdesk: oidc.Configuration;
  let reports: oidc.Configuration;
  let n = 0;
  const nextEmail = (name: string) => `${name}.${(n += 1)}@example.test`;

  beforeAll(async () => {
    app = await startTestApp({ kind });
    const scope = 'openid offline_access roles groups';
    const grants = ['authorization_code', 'refresh_token'] as const;
    await app.context.rolesAndGroups.defineGroup({ name: 'support' }, CLI);
    await app.context.rolesAndGroups.defineRole({ name: 'manager' }, CLI);
    // Support staff, or anyone holding the manager role themselves, may use the helpdesk.
    const desk = await app.context.clients.register({
      name: 'Helpdesk', redirectUris: [RP_REDIRECT_URI], grants: [...grants], scope, requiredGroups: ['support'], requiredRoles: ['manager'],
    });
    helpdesk = await discoverIssuer(app.issuer, desk.clientId, desk.clientSecret!);
    const report = await app.context.clients.register({
      name: 'Reports', redirectUris: [RP_REDIRECT_URI], grants: [...grants], scope, visibleRoles: ['analyst'],
    });
    reports = await discoverIssuer(app.issuer, report.clientId, report.clientSecret!);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function person(name: string, options: { roles?: string[]; group?: string } = {}): Promise<string> {
    const email = nextEmail(name);
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true, roles: options.roles ?? [] });
    if (options.group) await app.context.rolesAndGroups.setMember(options.group, email, true, CLI);
    return email;
  }

  /** Signs in on the real login page and stops at the first page after the password. */
  async function signInUntilStopped(browser: Browser, rp: oidc.Configuration, email: string) {
    const request = await buildAuthorizationRequest(rp, { scope: 'openid roles' });
    const login = await browser.get(request.url.href);
    const after = await browser.submit(login, { button: 'Sign in', fields: { email, password: PASSWORD } });
    return { request, page: after };
  }

  it('stops a person without the group or role after sign-in, says so and whom to ask, and returns access_denied to the app', async () => {
    const email = await person('outsider');
    const browser = new Browser();
    const { request, page } = await signInUntilStopped(browser, helpdesk, email);
    expect(page.status).toBe(403);
    expect(page.body).toContain('No access to this application');
    expect(page.body).toContain(`Your account (${email}) has no access to <strong>Helpdesk</strong>`);
    expect(page.body).toContain('ask whoever manages accounts for Helpdesk');
    expect(page.body).not.toContain('Allow access?');

    const back = await browser.submit(page, { button: 'Return to Helpdesk', followRedirects: true, followOrigins: [request.url.origin] });
    const callback = new URL(back.location!);
    expect(callback.origin + callback.pathname).toBe(RP_REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('error_description')).toBe(NO_ACCESS);
    expect(callback.searchParams.get('state')).toBe(request.state);
    await expect(oidc.authorizationCodeGrant(helpdesk, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state }))
      .rejects.toMatchObject({ error: 'access_denied' });

    const { rows } = await app.context.database.query("SELECT client_id FROM audit_events WHERE type = 'access.denied' AND client_id = $1", [helpdesk.clientMetadata().client_id]);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('answers prompt=none with access_denied for a signed-in person without access', async () => {
    const email = await person('quiet');
    const browser = new Browser();
    // Signed in through another app that admits everyone.
    await exchangeCode(reports, await signIn(browser, reports, { email, password: PASSWORD, scope: 'openid' }));
    const request = await buildAuthorizationRequest(helpdesk, { scope: 'openid', extraParams: { prompt: 'none' } });
    const answer = await browser.get(request.url.href, { followOrigins: [request.url.origin] });
    const callback = new URL(answer.location!);
    expect(callback.searchParams.get('error')).toBe('access_denied');
  });

  it('admits a member of the group, and a holder of the role, and stops the refresh token once access is taken away', async () => {
    const member = await person('member', { group: 'support' });
    const manager = await person('manager', { roles: ['manager'] });
    const memberTokens = await exchangeCode(helpdesk, await signIn(new Browser(), helpdesk, { email: member, password: PASSWORD, scope: 'openid offline_access roles groups', extraParams: { prompt: 'consent' } }));
    expect(memberTokens.claims()!.groups).toEqual(['support']);
    const managerTokens = await exchangeCode(helpdesk, await signIn(new Browser(), helpdesk, { email: manager, password: PASSWORD, scope: 'openid offline_access roles', extraParams: { prompt: 'consent' } }));
    expect(managerTokens.claims()!.roles).toEqual(['manager']);

    const refreshed = await oidc.refreshTokenGrant(helpdesk, memberTokens.refresh_token!);
    await app.context.rolesAndGroups.setMember('support', member, false, CLI);
    await expect(oidc.refreshTokenGrant(helpdesk, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: NO_ACCESS });

    await app.context.users.changeRoles(manager, { add: [], remove: ['manager'] });
    await expect(oidc.refreshTokenGrant(helpdesk, managerTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', error_description: NO_ACCESS });
  });

  it('shows a client limited to some roles only those roles', async () => {
    const email = await person('analyst', { roles: ['analyst', 'manager'] });
    const tokens = await exchangeCode(reports, await signIn(new Browser(), reports, { email, password: PASSWORD, scope: 'openid roles' }));
    expect(tokens.claims()!.roles).toEqual(['analyst']);
    expect((await oidc.fetchUserInfo(reports, tokens.access_token, tokens.claims()!.sub)).roles).toEqual(['analyst']);
    expect((await oidc.tokenIntrospection(reports, tokens.access_token)).roles).toEqual(['analyst']);
  });
});
