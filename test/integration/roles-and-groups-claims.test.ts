// The roles and groups an admin defines reach apps: the `roles` scope gives a `roles` claim (own
// roles plus the groups'), `groups` a `groups` claim, in the ID token, at userinfo, in JWT access
// tokens and at introspection of opaque ones; a role change reaches the next token (a refresh);
// new accounts start with accounts.defaultRoles. openid-client is the relying party throughout.
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles } from '../helpers/accounts.js';
import { ADMIN_TEST_PASSWORD, adminConsoleClient, adminToken, callAdminApi } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { storageKinds } from '../helpers/database.js';
import { openAccountPage } from '../helpers/sessions.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const API = 'https://api.example.test';
const CLI = { by: 'admin-cli' };
const settings = createSettingsFiles('gh-roles-claims-');
afterAll(() => settings.remove());

describe.each(storageKinds)('roles and groups in tokens on %s', (kind) => {
  let app: TestApp;
  let rp: oidc.Configuration;
  let n = 0;
  const nextEmail = (name: string) => `${name}.${(n += 1)}@example.test`;

  beforeAll(async () => {
    const file = settings.file(`claims-${kind}`, {
      accounts: { defaultRoles: ['agent'] },
      resourceServers: { [API]: { scope: 'tickets:read', accessTokenFormat: 'jwt', jwtAlgorithm: 'ES256' } },
    });
    app = await startTestApp({ kind, env: { SETTINGS_FILE: file } });
    const client = await app.context.clients.register({
      name: 'Helpdesk', redirectUris: [RP_REDIRECT_URI], grants: ['authorization_code', 'refresh_token'],
      scope: 'openid offline_access profile email roles groups tickets:read',
    });
    rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
    const { rolesAndGroups } = app.context;
    await rolesAndGroups.defineRole({ name: 'manager', description: 'Manages a team of agents' }, CLI);
    await rolesAndGroups.defineGroup({ name: 'support', description: 'The support desk', roles: ['ticket-triage'] }, CLI);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function personInSupport(name: string, roles: string[] = []): Promise<string> {
    const email = nextEmail(name);
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true, roles });
    await app.context.rolesAndGroups.setMember('support', email, true, CLI);
    return email;
  }

  it('advertises the roles and groups scopes and claims in discovery', async () => {
    const metadata = rp.serverMetadata();
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['roles', 'groups']));
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['roles', 'groups']));
  });

  it('gives own, group and default roles, and the groups, in the ID token and at userinfo', async () => {
    const email = await personInSupport('ada', ['manager']);
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid roles groups' }));
    const idToken = tokens.claims()!;
    expect(idToken.roles).toEqual(['agent', 'manager', 'ticket-triage']);
    expect(idToken.groups).toEqual(['support']);
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, idToken.sub);
    expect(userinfo.roles).toEqual(['agent', 'manager', 'ticket-triage']);
    expect(userinfo.groups).toEqual(['support']);
  });

  it('gives neither claim without its scope', async () => {
    const email = await personInSupport('bob', ['manager']);
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid profile' }));
    expect(tokens.claims()).not.toHaveProperty('roles');
    expect(tokens.claims()).not.toHaveProperty('groups');
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).not.toHaveProperty('roles');
  });

  it('names the roles and groups scopes in words on the consent page', async () => {
    const email = await personInSupport('cleo');
    const result = await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid roles groups' });
    const consent = result.pages.find((page) => page.body.includes('Allow access?'))!;
    expect(consent.body).toContain('See the roles you hold');
    expect(consent.body).toContain('See the groups you belong to');
  });

  it('puts the roles in a JWT access token, verified against the published keys', async () => {
    const email = await personInSupport('dan', ['manager']);
    const result = await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid roles tickets:read', extraParams: { resource: API } });
    const tokens = await oidc.authorizationCodeGrant(rp, result.callbackUrl, {
      pkceCodeVerifier: result.request.codeVerifier, expectedState: result.request.state, expectedNonce: result.request.nonce,
    }, { resource: API });
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${app.issuer}/jwks`)), { issuer: app.issuer, audience: API, typ: 'at+jwt' });
    expect(payload.roles).toEqual(['agent', 'manager', 'ticket-triage']);
    expect(payload).not.toHaveProperty('groups');

    // Without the roles scope the API's token says nothing of them.
    const plain = await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid tickets:read', extraParams: { resource: API } });
    const plainTokens = await oidc.authorizationCodeGrant(rp, plain.callbackUrl, {
      pkceCodeVerifier: plain.request.codeVerifier, expectedState: plain.request.state, expectedNonce: plain.request.nonce,
    }, { resource: API });
    expect(decodeJwt(plainTokens.access_token)).not.toHaveProperty('roles');
  });

  it('shows the roles and groups at introspection of an opaque access token', async () => {
    const email = await personInSupport('eve');
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid roles groups' }));
    expect(() => decodeJwt(tokens.access_token)).toThrow();
    const introspection = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, roles: ['agent', 'ticket-triage'], groups: ['support'] });
  });

  it('carries a role change into the next token: the next refresh', async () => {
    const email = await personInSupport('finn');
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid offline_access roles groups', extraParams: { prompt: 'consent' } }));
    expect(tokens.claims()!.roles).toEqual(['agent', 'ticket-triage']);

    await app.context.users.changeRoles(email, { add: ['manager'], remove: ['agent'] });
    await app.context.rolesAndGroups.setMember('support', email, false, CLI);
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.claims()!.roles).toEqual(['manager']);
    expect(refreshed.claims()!.groups).toEqual([]);
    expect(await oidc.tokenIntrospection(rp, refreshed.access_token)).toMatchObject({ active: true, roles: ['manager'], groups: [] });
  });

  it('gives new accounts the default roles, however they are created', async () => {
    const email = nextEmail('gus');
    const user = await app.context.users.create({ email, password: PASSWORD, roles: ['manager'] });
    expect(await app.context.users.rolesOf(user.id)).toEqual(['agent', 'manager']);
    const roles = await app.context.rolesAndGroups.listRoles();
    expect(roles.find((role) => role.name === 'agent')).toMatchObject({ description: '' });
    expect(roles.find((role) => role.name === 'manager')).toMatchObject({ description: 'Manages a team of agents' });
  });

  it('records every role and group change in the audit trail, naming who made it', async () => {
    const email = await personInSupport('hal');
    const { rows } = await app.context.database.query<{ type: string; detail: Record<string, string> }>(
      "SELECT type, detail FROM audit_events WHERE type IN ('admin.role_changed', 'admin.group_changed') AND (email = $1 OR email IS NULL) ORDER BY occurred_at",
      [email],
    );
    expect(rows.map((row) => [row.type, row.detail.action, row.detail.by])).toEqual(expect.arrayContaining([
      ['admin.role_changed', 'defined', 'admin-cli'],
      ['admin.group_changed', 'created', 'admin-cli'],
      ['admin.group_changed', 'member_added', 'admin-cli'],
    ]));
  });

  it('admits to the admin API a person who is an admin through a group, and no longer once out of it', async () => {
    const email = nextEmail('ops');
    await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true });
    await app.context.rolesAndGroups.defineGroup({ name: 'operators', roles: ['admin'] }, CLI);
    await app.context.rolesAndGroups.setMember('operators', email, true, CLI);
    const { token } = await adminToken(app, await adminConsoleClient(app), email);
    expect((await callAdminApi(app, '/users?limit=1', token)).status).toBe(200);
    await app.context.rolesAndGroups.setMember('operators', email, false, CLI);
    expect((await callAdminApi(app, '/users?limit=1', token)).status).toBe(403);
  });

  it('shows the person their roles, groups and organisations on their account page', async () => {
    const email = await personInSupport('ivy', ['manager']);
    const organisation = await app.context.organisations.create({ slug: `acme-${kind}`, name: 'Acme Corporation' }, CLI);
    await app.context.organisations.setMember(organisation.id, email, true, CLI, ['billing']);
    const home = await openAccountPage(app, new Browser(), '/account', email);
    expect(home.status).toBe(200);
    expect(home.body).toMatch(/<dt>Roles<\/dt>\s*<dd>agent, manager, ticket-triage<\/dd>/);
    expect(home.body).toMatch(/<dt>Groups<\/dt>\s*<dd>support<\/dd>/);
    expect(home.body).toContain(`Acme Corporation <span class="muted">(acme-${kind}; your roles there: billing)</span>`);
  });
});
