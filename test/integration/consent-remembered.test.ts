// Consent remembered per person and app, over real HTTP with openid-client as the relying party:
// asked once; not again after a sign-out or a password reset; again only for a new scope, naming
// only that scope; never for a first-party app; and after "Remove access" on /account/apps, the
// app's refresh token is refused (invalid_grant) and consent is asked again, with an audit row.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkFromMail } from '../helpers/accounts.js';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin } from '../helpers/admin.js';
import { Browser, parseForms, textOf, type Page } from '../helpers/browser.js';
import { cliFixture } from '../helpers/cli-fixture.js';
import { storageKinds } from '../helpers/database.js';
import { call, registrationSettings, WEB_CLIENT } from '../helpers/dynamic-registration.js';
import { runCli } from '../helpers/gatehouse-process.js';
import { buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_POST_LOGOUT_REDIRECT_URI, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { openAccountPage, SESSION_TEST_PASSWORD } from '../helpers/sessions.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const ALLOW = 'Allow access?';
const ORIGIN = { ip: '127.0.0.1', userAgent: 'consent test' };
const settingsFile = registrationSettings('gh-consent-');

const consentPages = (pages: Page[]) => pages.filter((page) => page.body.includes(ALLOW));

describe.each(storageKinds)('remembered consent on %s', (kind) => {
  let app: TestApp;
  let rp: oidc.Configuration;
  let firstParty: oidc.Configuration;
  let clientId: string;
  const email = `ada.${kind}@example.test`;
  let accountId: string;

  beforeAll(async () => {
    app = await startTestApp({ kind, env: { SETTINGS_FILE: settingsFile('open') } });
    accountId = (await app.context.users.create({ email, password: SESSION_TEST_PASSWORD, emailVerified: true })).id;
    const client = await app.context.clients.register({
      name: 'Reports', redirectUris: [RP_REDIRECT_URI], postLogoutRedirectUris: [RP_POST_LOGOUT_REDIRECT_URI],
      grants: ['authorization_code', 'refresh_token'], scope: 'openid offline_access profile email',
    });
    clientId = client.clientId;
    rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
    const own = await app.context.clients.register({
      name: 'Intranet', redirectUris: [RP_REDIRECT_URI], scope: 'openid profile email', firstParty: true,
    });
    expect(own.metadata.first_party).toBe(true);
    firstParty = await discoverIssuer(app.issuer, own.clientId, own.clientSecret!);
  });
  afterAll(async () => { await app?.close(); });

  const follow = () => ({ followOrigins: [new URL(app.issuer).origin] });

  async function signOut(browser: Browser, idToken: string): Promise<void> {
    const endSession = oidc.buildEndSessionUrl(rp, { id_token_hint: idToken, post_logout_redirect_uri: RP_POST_LOGOUT_REDIRECT_URI });
    const confirm = await browser.get(endSession.href, follow());
    const done = await browser.submit(confirm, { button: 'Sign out', ...follow() });
    expect(done.location).toMatch(new RegExp(`^${RP_POST_LOGOUT_REDIRECT_URI}`));
  }

  it('asks once, not after a sign-out or a password reset, and again only for a new scope, naming only that', async () => {
    const browser = new Browser();
    const first = await signIn(browser, rp, { email, password: SESSION_TEST_PASSWORD, scope: 'openid email' });
    expect(consentPages(first.pages)).toHaveLength(1);
    const tokens = await exchangeCode(rp, first);

    await signOut(browser, tokens.id_token!);
    const afterSignOut = await signIn(browser, rp, { email, password: SESSION_TEST_PASSWORD, scope: 'openid email' });
    expect(afterSignOut.pages.some((page) => page.body.includes('name="password"'))).toBe(true);
    expect(consentPages(afterSignOut.pages)).toHaveLength(0);
    const again = await exchangeCode(rp, afterSignOut);
    expect(again.claims()!.sub).toBe(accountId);

    // A password reset ends every session and grant; the consent stays.
    const reset = await app.context.passwordReset.request(email, ORIGIN);
    expect(reset).toBeDefined();
    const link = await linkFromMail(app, email, 'Reset your password', '/account/reset-password');
    expect(await app.context.passwordReset.reset(new URL(link).searchParams.get('token')!, SESSION_TEST_PASSWORD, ORIGIN)).not.toBe(false);
    const afterReset = await signIn(new Browser(), rp, { email, password: SESSION_TEST_PASSWORD, scope: 'openid email' });
    expect(consentPages(afterReset.pages)).toHaveLength(0);

    // One more scope: consent again, naming only the new scope.
    const wider = await signIn(new Browser(), rp, { email, password: SESSION_TEST_PASSWORD, scope: 'openid email profile' });
    const [consent] = consentPages(wider.pages);
    expect(consent).toBeDefined();
    expect(textOf(consent!)).toContain('See your name and basic profile details');
    expect(textOf(consent!)).not.toContain('See your email address');
    expect(textOf(consent!)).not.toContain('Confirm who you are');
    const widened = await exchangeCode(rp, wider);
    expect(widened.scope?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);

    const audit = await app.context.audit.query({ accountId, type: 'consent.granted', since: new Date(Date.now() - 600_000), limit: 10 });
    expect(audit.events.map((event) => event.detail.scope)).toEqual(['profile', expect.stringMatching(/email/)]);
  });

  it('never asks for a first-party app', async () => {
    const result = await signIn(new Browser(), firstParty, { email, password: SESSION_TEST_PASSWORD, scope: 'openid profile email' });
    expect(consentPages(result.pages)).toHaveLength(0);
    const tokens = await exchangeCode(firstParty, result);
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
  });

  it('"Remove access" on /account/apps ends the app\'s refresh token and asks for consent again, audited', async () => {
    const browser = new Browser();
    const result = await signIn(browser, rp, { email, password: SESSION_TEST_PASSWORD, scope: 'openid offline_access email' });
    const tokens = await exchangeCode(rp, result);
    expect(tokens.refresh_token).toBeDefined();
    // A refresh notes the app's last use (at most once a minute: the last one is made an hour old first).
    await app.context.database.query("UPDATE consents SET last_used_at = now() - interval '1 hour' WHERE user_id = $1", [accountId]);
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    await expect.poll(async () => (await app.context.consents.list(accountId))[0]?.lastUsedAt?.getTime() ?? 0).toBeGreaterThan(Date.now() - 60_000);

    const page = await openAccountPage(app, browser, '/account/apps', email);
    expect(new URL(page.url).pathname).toBe('/account/apps');
    expect(textOf(page)).toContain('Reports');
    expect(textOf(page)).toContain('See your email address and whether it is verified');
    expect(page.body).toMatch(/<time datetime="\d{4}-\d{2}-\d{2}T[^"]+Z" data-local-time>[^<]+ UTC<\/time>/);
    expect(textOf(page)).not.toContain('Intranet');

    const removed = await browser.submit(page, { button: 'Remove access for Reports' });
    expect(removed.status).toBe(200);
    expect(new URL(removed.url).pathname).toBe('/account/apps');
    expect(textOf(removed)).toContain('Access was removed');
    expect(textOf(removed)).toContain('You have not allowed any app yet');

    await expect(oidc.refreshTokenGrant(rp, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const audit = await app.context.audit.query({ accountId, type: 'consent.revoked', since: new Date(Date.now() - 600_000), limit: 10 });
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({ clientId, outcome: 'success', ip: expect.any(String) });

    // Same browser, still signed in to Gatehouse: the app's next sign-in asks again.
    const request = await buildAuthorizationRequest(rp, { scope: 'openid email' });
    const next = await browser.get(request.url.href, follow());
    expect(next.body).toContain(ALLOW);
    expect(textOf(next)).toContain('See your email address');
  });

  it('refuses a stale or forged removal with a clear answer, never a 5xx', async () => {
    const browser = new Browser();
    // The apps page has no form once nothing is allowed; any account form's token is this browser's.
    const page = await openAccountPage(app, browser, '/account/tokens', email);
    const csrf = parseForms(page).find((form) => form.fields.csrf)?.fields.csrf;
    const form = async (fields: Record<string, string>) => browser.request(`${app.issuer}/account/apps/remove`, { method: 'POST', form: new URLSearchParams(fields) });
    expect((await form({ csrf: csrf!, client: '' })).status).toBe(400);
    const none = await form({ csrf: csrf!, client: 'no-such-app' });
    expect(textOf(none)).toContain('That app had no access to remove');
    expect((await form({ client: clientId })).status).toBe(403);
  });
});

describe('first_party, set by administrators only', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp({ env: { SETTINGS_FILE: settingsFile('open') } }); });
  afterAll(async () => { await app?.close(); });

  it('is set and cleared through the admin API', async () => {
    await createAdmin(app, 'root@example.test');
    const { token } = await adminToken(app, await adminConsoleClient(app), 'root@example.test');
    const created = await callAdminApi(app, '/clients', token, { method: 'POST', json: { client_name: 'Intranet', redirect_uris: [RP_REDIRECT_URI], first_party: true } });
    expect(created.status).toBe(201);
    const body = await created.json() as { client_id: string; first_party: boolean };
    expect(body.first_party).toBe(true);
    const cleared = await callAdminApi(app, `/clients/${body.client_id}`, token, { method: 'PATCH', json: { first_party: false } });
    expect(await cleared.json()).toMatchObject({ first_party: false });
    const refused = await callAdminApi(app, `/clients/${body.client_id}`, token, { method: 'PATCH', json: { first_party: 'yes' } });
    expect(refused.status).toBe(400);
  });

  it('refuses a client that says it is first-party at dynamic registration', async () => {
    const refused = await call(`${app.issuer}/reg`, { json: { ...WEB_CLIENT, first_party: true } });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata', error_description: expect.stringContaining('first_party') } });
    const plain = await call(`${app.issuer}/reg`, { json: WEB_CLIENT });
    expect(plain.status).toBe(201);
    expect(plain.body.first_party).toBeUndefined();
  });
});

describe('gatehouse clients --first-party', () => {
  const fixture = cliFixture('pglite', 'gh-cli-first-party-');
  const cli = (args: string[]) => runCli(args, fixture.env);

  it('marks a client first-party, clears it, and refuses both flags at once', { timeout: 120_000 }, async () => {
    const added = await cli(['clients', 'add', '--name', 'Intranet', '--redirect-uri', 'https://intranet.example.test/cb', '--first-party', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const client = JSON.parse(added.stdout) as { client_id: string; first_party: boolean };
    expect(client.first_party).toBe(true);
    const cleared = await cli(['clients', 'update', '--client', client.client_id, '--no-first-party', '--json']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).not.toHaveProperty('first_party');
    const both = await cli(['clients', 'update', '--client', client.client_id, '--first-party', '--no-first-party']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^gatehouse: [^\n]+\n$/);
  });
});
