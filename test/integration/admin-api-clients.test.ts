// Admin API clients: an admin registers a client over HTTP and a real relying party (openid-client)
// signs in with it; changes to its redirect URIs and lifetimes take effect; its secret rotates
// with an overlap (the old one works until it ends, then fails); deleting it ends its refresh and
// access tokens; bad input is a 400 naming each field. Runs on every storage: PGlite, Postgres,
// Postgres + Redis.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles, storageVariants } from '../helpers/accounts.js';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin, ADMIN_TEST_PASSWORD } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const OVERLAP_SECONDS = 3;
const settings = createSettingsFiles('gh-admin-clients-');
afterAll(() => settings.remove());

const basic = (clientId: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function form(app: TestApp, path: string, auth: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${app.issuer}${path}`, {
    method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields),
  });
}

async function auditDetails(app: TestApp, clientId: string): Promise<Record<string, unknown>[]> {
  await app.context.audit.flush();
  const result = await app.context.database.query<{ detail: Record<string, unknown> }>(
    'SELECT detail FROM audit_events WHERE type = $1 AND client_id = $2 ORDER BY occurred_at', ['admin.client_changed', clientId],
  );
  return result.rows.map((row) => row.detail);
}

/** The client's grants and tokens still held in Postgres and, when the app uses it, Redis. */
async function heldFor(app: TestApp, clientId: string): Promise<string[]> {
  const rows = await app.context.database.query<{ model: string }>(
    'SELECT model FROM oidc_payloads WHERE payload->>\'clientId\' = $1 ORDER BY model', [clientId],
  );
  const held = rows.rows.map((row) => row.model);
  const redis = app.testRedis;
  if (redis) {
    for (const key of await redis.redis.keys(`${redis.keyPrefix}*`)) {
      const value = await redis.redis.get(key).catch(() => null);
      if (value?.includes(`"clientId":"${clientId}"`)) held.push(key.slice(redis.keyPrefix.length).split(':')[0]!);
    }
  }
  return held.filter((model) => model !== 'Session').sort();
}

describe.each(storageVariants)('admin API clients on $name', ({ options }) => {
  let app: TestApp;
  let token: string;
  let adminId: string;
  let inspector: { id: string; secret: string };
  const email = 'clients-admin@example.test';

  beforeAll(async () => {
    app = await startTestApp({ ...options, env: { SETTINGS_FILE: settings.file('overlap', { clients: { secretRotationOverlapSeconds: OVERLAP_SECONDS } }) } });
    adminId = await createAdmin(app, email);
    ({ token } = await adminToken(app, await adminConsoleClient(app), email));
    // A resource server of its own, to introspect the tokens of the clients under test.
    const registered = await app.context.clients.register({ name: 'API', grants: ['client_credentials'], scope: 'openid' });
    inspector = { id: registered.clientId, secret: registered.clientSecret! };
  });
  afterAll(() => app?.close());

  const api = (path: string, init: Parameters<typeof callAdminApi>[3] = {}) => callAdminApi(app, path, token, init);
  const introspect = async (value: string) => (await (await form(app, '/token/introspection', basic(inspector.id, inspector.secret), { token: value })).json()) as { active: boolean };

  async function createClient(body: Record<string, unknown>): Promise<{ client_id: string; client_secret: string } & Record<string, unknown>> {
    const answer = await api('/clients', { method: 'POST', json: body });
    expect(answer.status, await answer.clone().text()).toBe(201);
    return answer.json() as never;
  }

  it('creates a client an openid-client RP signs in with, showing its secret only once', async () => {
    const created = await createClient({ client_name: 'Shop', redirect_uris: [RP_REDIRECT_URI], access_token_ttl: 120 });
    expect(created).toMatchObject({ client_name: 'Shop', redirect_uris: [RP_REDIRECT_URI], token_endpoint_auth_method: 'client_secret_basic', access_token_ttl: 120, has_secret: true });
    expect(created.client_secret).toMatch(/^[\w-]{43}$/);

    const rp = await discoverIssuer(app.issuer, created.client_id, created.client_secret);
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email, password: ADMIN_TEST_PASSWORD, scope: 'openid offline_access' }));
    expect(tokens.claims()?.sub).toBe(adminId);
    // The client's own access token lifetime.
    expect(tokens.expires_in).toBeLessThanOrEqual(120);
    expect(tokens.expires_in).toBeGreaterThan(60);

    const shown = await (await api(`/clients/${created.client_id}`)).json();
    const listed = await (await api('/clients')).json() as { clients: Array<{ client_id: string }> };
    expect(listed.clients.map((client) => client.client_id)).toContain(created.client_id);
    expect(JSON.stringify([shown, listed])).not.toContain(created.client_secret);
    expect(await auditDetails(app, created.client_id)).toEqual([expect.objectContaining({ action: 'created', by: `admin:${adminId}` })]);
  });

  it('changes redirect URIs, and the old one stops working at once', async () => {
    const created = await createClient({ client_name: 'Moving', redirect_uris: [RP_REDIRECT_URI] });
    const rp = await discoverIssuer(app.issuer, created.client_id, created.client_secret);
    const browser = new Browser();
    await signIn(browser, rp, { email, password: ADMIN_TEST_PASSWORD });
    const moved = 'https://rp.example.test/new-callback';
    const answer = await api(`/clients/${created.client_id}`, { method: 'PATCH', json: { redirect_uris: [moved], client_name: 'Moved' } });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ client_name: 'Moved', redirect_uris: [moved], has_secret: true });

    const result = await signIn(browser, rp, { email, password: ADMIN_TEST_PASSWORD, redirectUri: moved });
    expect(result.callbackUrl.searchParams.get('code')).toBeTruthy();
    await expect(signIn(browser, rp, { email, password: ADMIN_TEST_PASSWORD })).rejects.toThrow(/redirect_uri/);
    expect((await auditDetails(app, created.client_id)).at(-1)).toMatchObject({ action: 'updated', fields: 'client_name,redirect_uris', by: `admin:${adminId}` });
  });

  it('rotates a secret: the old one works during the overlap and fails after it', async () => {
    const created = await createClient({ client_name: 'Rotating', grant_types: ['client_credentials'], scope: 'openid' });
    const tokenWith = (secret: string) => form(app, '/token', basic(created.client_id, secret), { grant_type: 'client_credentials' });
    expect((await tokenWith(created.client_secret)).status).toBe(200);

    const rotated = await (await api(`/clients/${created.client_id}/rotate-secret`, { method: 'POST' })).json() as { client_secret: string; previous_secret_expires_at: string };
    const endsAt = Date.parse(rotated.previous_secret_expires_at);
    expect(rotated.client_secret).not.toBe(created.client_secret);
    expect(endsAt - Date.now()).toBeLessThanOrEqual(OVERLAP_SECONDS * 1000);
    expect((await tokenWith(rotated.client_secret)).status).toBe(200);
    expect((await tokenWith(created.client_secret)).status).toBe(200);
    expect((await tokenWith(`${rotated.client_secret}x`)).status).toBe(401);
    // Shown as ending, never shown itself.
    const shown = await (await api(`/clients/${created.client_id}`)).text();
    expect(JSON.parse(shown)).toMatchObject({ previous_secret_expires_at: rotated.previous_secret_expires_at });
    expect(shown).not.toContain(created.client_secret);
    const discovery = await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).text();
    expect(discovery).not.toContain(created.client_secret);

    await new Promise((resolve) => setTimeout(resolve, endsAt - Date.now() + 500));
    const late = await tokenWith(created.client_secret);
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ error: 'invalid_client' });
    expect((await tokenWith(rotated.client_secret)).status).toBe(200);
    const rows = await auditDetails(app, created.client_id);
    expect(rows.at(-1)).toEqual({ action: 'secret_rotated', overlap_seconds: OVERLAP_SECONDS, by: `admin:${adminId}` });
    expect(JSON.stringify(rows)).not.toContain(rotated.client_secret);
  }, 20_000);

  it('deletes a client: its refresh token and access token stop working', async () => {
    const created = await createClient({ client_name: 'Doomed', redirect_uris: [RP_REDIRECT_URI] });
    const rp = await discoverIssuer(app.issuer, created.client_id, created.client_secret);
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email, password: ADMIN_TEST_PASSWORD, scope: 'openid offline_access' }));
    expect((await introspect(tokens.access_token)).active).toBe(true);
    expect((await introspect(tokens.refresh_token!)).active).toBe(true);
    expect(await heldFor(app, created.client_id)).toEqual(expect.arrayContaining(['AccessToken', 'Grant', 'RefreshToken']));

    const answer = await api(`/clients/${created.client_id}`, { method: 'DELETE' });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ deleted: created.client_id, grants_revoked: 1 });

    expect((await introspect(tokens.access_token)).active).toBe(false);
    expect((await introspect(tokens.refresh_token!)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toThrow();
    // Gone from the stores, not only refused: nothing of the client is left to be used.
    expect(await heldFor(app, created.client_id)).toEqual([]);
    expect((await api(`/clients/${created.client_id}`)).status).toBe(404);
    expect((await auditDetails(app, created.client_id)).at(-1)).toMatchObject({ action: 'deleted', grants: 1, by: `admin:${adminId}` });
  });

  it('refuses bad input with a 400 naming each field, unknown ids with 404 and built-in clients with 409', async () => {
    const bad = async (path: string, method: string, json: unknown) => {
      const answer = await api(path, { method, json });
      expect(answer.status, JSON.stringify(json)).toBe(400);
      const body = await answer.json() as { error: string; fields: Record<string, string> };
      expect(body.error).toBe('invalid_input');
      return body.fields;
    };
    expect(await bad('/clients', 'POST', { client_name: 'x', redirect_uris: 'https://a.example/cb' })).toHaveProperty('redirect_uris');
    expect(await bad('/clients', 'POST', { client_name: 'x', redirect_uris: ['https://a.example/cb', 'http://evil.example/cb'] })).toHaveProperty(['redirect_uris.1']);
    expect(await bad('/clients', 'POST', { client_name: 'x', redirect_uris: ['https://a.example/cb'], access_token_ttl: 5 })).toHaveProperty('access_token_ttl');
    expect(await bad('/clients', 'POST', { client_name: 'x', redirect_uris: ['https://a.example/cb'], scope: 'openid payroll' })).toHaveProperty('scope');
    expect(await bad('/clients', 'POST', { redirect_uris: ['https://a.example/cb'], client_secret: 'mine' })).toMatchObject({ client_name: expect.any(String) });

    const created = await createClient({ client_name: 'Strict', redirect_uris: [RP_REDIRECT_URI] });
    const path = `/clients/${created.client_id}`;
    expect(await bad(path, 'PATCH', { grant_types: ['client_credentials'] })).toHaveProperty('redirect_uris');
    expect(await bad(path, 'PATCH', { public: true })).toBeDefined();
    expect(await bad(path, 'PATCH', { refresh_token_ttl: 10 ** 9 })).toHaveProperty('refresh_token_ttl');
    expect(await bad(path, 'PATCH', { backchannel_logout_uri: 'http://rp.example.test/logout' })).toHaveProperty('backchannel_logout_uri');
    expect((await api(path)).status).toBe(200);
    expect(await (await api(path)).json()).toMatchObject({ client_name: 'Strict', redirect_uris: [RP_REDIRECT_URI] });

    for (const [method, suffix] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/rotate-secret']] as const) {
      const answer = await api(`/clients/no-such-client${suffix}`, { method, ...(method === 'PATCH' ? { json: { client_name: 'x' } } : {}) });
      expect(answer.status, `${method} ${suffix}`).toBe(404);
    }
    for (const [method, suffix] of [['PATCH', ''], ['DELETE', ''], ['POST', '/rotate-secret']] as const) {
      const answer = await api(`/clients/gatehouse-account${suffix}`, { method, ...(method === 'PATCH' ? { json: { client_name: 'x' } } : {}) });
      expect(answer.status, `${method} ${suffix}`).toBe(409);
    }
  });
});
