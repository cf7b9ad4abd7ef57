// Organisations reach apps over real HTTP with openid-client as the relying party: the
// `organizations` claim, and tokens for one organisation carrying org_id and org_roles in the ID
// token, at userinfo, in JWT access tokens and at introspection, kept across refresh. Tenant
// isolation: a member of A never gets a token naming B, whether B is asked for by parameter, by
// scope, by a crafted claims request, at refresh, or after the person has left A.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Organisation } from '../../src/services/organisations.js';
import { Browser, textOf } from '../helpers/browser.js';
import { storageKinds } from '../helpers/database.js';
import { buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const API = 'https://api.example.test';
const ACTOR = { by: 'admin-cli' };

describe.each(storageKinds)('organisations in tokens on %s', (kind) => {
  const settingsDir = mkdtempSync(path.join(os.tmpdir(), 'gh-orgs-'));
  let app: TestApp;
  let rp: oidc.Configuration;
  let acme: Organisation;
  let globex: Organisation;
  let initech: Organisation;
  let adaId: string;
  const ada = 'ada@example.test';

  beforeAll(async () => {
    const settingsFile = path.join(settingsDir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ resourceServers: { [API]: { scope: 'invoices:read', accessTokenFormat: 'jwt' } } }));
    app = await startTestApp({ kind, env: { SETTINGS_FILE: settingsFile } });
    const orgs = app.context.organisations;
    adaId = (await app.context.users.create({ email: ada, password: PASSWORD, emailVerified: true })).id;
    await app.context.users.create({ email: 'bob@example.test', password: PASSWORD, emailVerified: true });
    acme = await orgs.create({ slug: 'acme', name: 'Acme Corporation' }, ACTOR);
    globex = await orgs.create({ slug: 'globex', name: 'Globex' }, ACTOR);
    initech = await orgs.create({ slug: 'initech', name: 'Initech' }, ACTOR);
    await orgs.setMember('acme', ada, true, ACTOR, ['billing', 'admin']);
    await orgs.setMember('initech', ada, true, ACTOR, ['viewer']);
    await orgs.setMember('globex', 'bob@example.test', true, ACTOR, ['admin']);
    const client = await app.context.clients.register({ name: 'Ledger', redirectUris: [RP_REDIRECT_URI], grants: ['authorization_code', 'refresh_token'],
      scope: 'openid offline_access profile email organizations invoices:read',
    });
    rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(settingsDir, { recursive: true, force: true });
  });

  async function signInFor(extraParams: Record<string, string>, scope = 'openid offline_access organizations', browser = new Browser()) {
    const result = await signIn(browser, rp, { email: ada, password: PASSWORD, scope, extraParams: { prompt: 'consent', ...extraParams } });
    return { result, browser };
  }

  /** The answer at the redirect_uri of a request that is refused (no code). */
  function refusal(callbackUrl: URL): { error: string | null; description: string | null; code: string | null } {
    return { error: callbackUrl.searchParams.get('error'), description: callbackUrl.searchParams.get('error_description'), code: callbackUrl.searchParams.get('code') };
  }

  it('advertises the organizations scope and the organisation claims', async () => {
    const metadata = rp.serverMetadata();
    expect(metadata.scopes_supported).toContain('organizations');
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['organizations', 'org_id', 'org_roles']));
  });

  it('lists the person\'s organisations for the organizations scope, and no org_id without a request for one', async () => {
    const { result } = await signInFor({});
    const tokens = await exchangeCode(rp, result);
    const claims = tokens.claims()!;
    expect(claims.organizations).toEqual([acme.id, initech.id].sort());
    expect(claims.org_id).toBeUndefined();
    expect(claims.org_roles).toBeUndefined();
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(userinfo.organizations).toEqual([acme.id, initech.id].sort());
  });

  it('gives org_id and org_roles for organization=<id>, in the ID token, userinfo and introspection, and says so on the consent page', async () => {
    // Consent is remembered per person and app, and the page names only what is new: start from none.
    await app.context.database.query('DELETE FROM consents');
    const { result } = await signInFor({ organization: acme.id });
    const consent = result.pages.find((page) => page.body.includes('Allow access?'))!;
    expect(textOf(consent)).toMatch(/You are signing in for the organisation Acme Corporation ?\./);
    // The organizations scope and its claim are one line, not two.
    expect(textOf(consent).match(/organisations you belong to/gi)).toHaveLength(1);
    const tokens = await exchangeCode(rp, result);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ org_id: acme.id, org_roles: ['admin', 'billing'] });
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ org_id: acme.id, org_roles: ['admin', 'billing'] });
    const introspection = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, org_id: acme.id, org_roles: ['admin', 'billing'] });
  });

  it('carries the organisation in JWT access tokens for an API', async () => {
    const { result } = await signInFor({ organization: acme.id, resource: API }, 'openid offline_access invoices:read');
    const tokens = await exchangeCode(rp, result);
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${app.issuer}/jwks`)), { issuer: app.issuer, audience: API });
    expect(payload).toMatchObject({ org_id: acme.id, org_roles: ['admin', 'billing'] });
  });

  it('takes the organization:<id> scope as the same request', async () => {
    const { result } = await signInFor({}, `openid offline_access organization:${initech.id}`);
    const tokens = await exchangeCode(rp, result);
    expect(tokens.claims()).toMatchObject({ org_id: initech.id, org_roles: ['viewer'] });
    expect(tokens.scope?.split(' ')).not.toContain(`organization:${initech.id}`);
  });

  it('refuses an organisation the person is not in, by parameter, by scope, and by claims request, with access_denied and no code', async () => {
    const crafted: Record<string, string>[] = [
      { organization: globex.id },
      { organization: globex.id.toUpperCase() },
      { claims: JSON.stringify({ id_token: { org_id: { value: globex.id } } }) },
    ];
    for (const extraParams of crafted) {
      const { result } = await signInFor(extraParams);
      expect(refusal(result.callbackUrl), JSON.stringify(extraParams)).toEqual({
        error: 'access_denied', description: `the account is not a member of organization ${globex.id}`, code: null,
      });
      expect(result.pages.some((page) => page.body.includes('Allow access?'))).toBe(false);
    }
    const { result } = await signInFor({}, `openid organization:${globex.id}`);
    expect(refusal(result.callbackUrl).error).toBe('access_denied');
    // An organisation that does not exist is refused the same way.
    const { result: unknown } = await signInFor({ organization: '00000000-0000-4000-8000-000000000000' });
    expect(refusal(unknown.callbackUrl).error).toBe('access_denied');
  });

  it('applies the same rules to a pushed authorization request (PAR)', async () => {
    const { browser } = await signInFor({ organization: acme.id });
    for (const [organization, expected] of [[globex.id, 'access_denied'], [acme.id, null]] as const) {
      const url = await oidc.buildAuthorizationUrlWithPAR(rp, {
        redirect_uri: RP_REDIRECT_URI, scope: 'openid', prompt: 'none', organization, state: 'par', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
      });
      const page = await browser.get(url.href, { followOrigins: [url.origin] });
      expect(refusal(new URL(page.location!)).error, organization).toBe(expected);
    }
  });

  it('refuses under prompt=none at once, from a live session', async () => {
    const { browser } = await signInFor({ organization: acme.id });
    const request = await buildAuthorizationRequest(rp, { scope: 'openid', extraParams: { prompt: 'none', organization: globex.id } });
    const page = await browser.get(request.url.href, { followOrigins: [request.url.origin] });
    expect(refusal(new URL(page.location!))).toMatchObject({ error: 'access_denied', code: null });
  });

  it('refuses a request naming two organisations, or one that is not an id, with invalid_request', async () => {
    for (const [extraParams, scope] of [
      [{ organization: acme.id }, `openid organization:${globex.id}`],
      [{ organization: acme.id, claims: JSON.stringify({ userinfo: { org_id: { value: initech.id } } }) }, 'openid'],
      [{ organization: 'acme' }, 'openid'],
    ] as const) {
      const request = await buildAuthorizationRequest(rp, { scope, extraParams });
      const page = await new Browser().get(request.url.href, { followOrigins: [request.url.origin] });
      const answer = refusal(new URL(page.location!));
      expect(answer.error, JSON.stringify(extraParams)).toBe('invalid_request');
      expect(answer.description).toMatch(/organization/);
    }
  });

  it('keeps the organisation of a refresh token whatever the refresh request asks for', async () => {
    const { result } = await signInFor({ organization: acme.id });
    const tokens = await exchangeCode(rp, result);
    // Asking for another organisation's scope at refresh is more than was granted (RFC 6749 §6).
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!, { scope: `openid organization:${globex.id}` }))
      .rejects.toMatchObject({ error: 'invalid_scope' });
    // The parameter and a claims request are not refresh parameters: the token keeps its organisation.
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!, { organization: globex.id, claims: JSON.stringify({ id_token: { org_id: { value: globex.id } } }) });
    expect(decodeJwt(refreshed.id_token!)).toMatchObject({ org_id: acme.id });
    expect(await oidc.tokenIntrospection(rp, refreshed.access_token)).toMatchObject({ org_id: acme.id });
  });

  it('keeps each refresh token on its own organisation after switching in the same session', async () => {
    const browser = new Browser();
    const first = await exchangeCode(rp, (await signInFor({ organization: acme.id }, undefined, browser)).result);
    const second = await exchangeCode(rp, (await signInFor({ organization: initech.id }, undefined, browser)).result);
    expect(second.claims()).toMatchObject({ org_id: initech.id });
    const replayed = await oidc.refreshTokenGrant(rp, first.refresh_token!);
    expect(decodeJwt(replayed.id_token!)).toMatchObject({ org_id: acme.id, org_roles: ['admin', 'billing'] });
    const other = await oidc.refreshTokenGrant(rp, second.refresh_token!);
    expect(decodeJwt(other.id_token!)).toMatchObject({ org_id: initech.id, org_roles: ['viewer'] });
  });

  it('reads org_roles afresh at refresh, and refuses the refresh with invalid_grant once the person has left', async () => {
    const orgs = app.context.organisations;
    await orgs.setMember('globex', ada, true, ACTOR, ['auditor']);
    const { result } = await signInFor({ organization: globex.id });
    const tokens = await exchangeCode(rp, result);
    expect(tokens.claims()).toMatchObject({ org_id: globex.id, org_roles: ['auditor'] });
    await orgs.setOrgRoles('globex', adaId, ['auditor', 'owner'], ACTOR);
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(decodeJwt(refreshed.id_token!)).toMatchObject({ org_roles: ['auditor', 'owner'] });

    await orgs.setMember('globex', ada, false, ACTOR);
    await expect(oidc.refreshTokenGrant(rp, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant', error_description: `the account is not a member of organization ${globex.id}`,
    });
    // The access token issued before the removal no longer names the organisation at userinfo.
    const userinfo = await oidc.fetchUserInfo(rp, refreshed.access_token, adaId);
    expect(userinfo.org_id).toBeUndefined();
    expect(userinfo.org_roles).toBeUndefined();
    expect(userinfo.organizations).toEqual([acme.id, initech.id].sort());
  });

  it('refuses the code exchange when the person left between consent and the exchange', async () => {
    const orgs = app.context.organisations;
    await orgs.setMember('globex', ada, true, ACTOR);
    const { result } = await signInFor({ organization: globex.id });
    await orgs.setMember('globex', ada, false, ACTOR);
    await expect(exchangeCode(rp, result)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
