// The admin API (/admin/api): only a bearer token issued for it with the admin scope, of an account
// that holds the admin role now, gets in (RFC 6750 errors otherwise); admins look people up, list
// and end their sessions (back-channel logout and audit included), and watch every account's
// session events live; every request is rate limited per IP and per admin. Runs on every storage: PGlite, Postgres, Postgres + Redis.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApiResource } from '../../src/paths.js';
import { asksForPassword, createSettingsFiles, relyingParty, storageVariants } from '../helpers/accounts.js';
import { Browser } from '../helpers/browser.js';
import { exchangeCode, signIn } from '../helpers/relying-party.js';
import { openAccountPage, openEventStream, SESSION_TEST_PASSWORD } from '../helpers/sessions.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin } from '../helpers/admin.js';

const PASSWORD = SESSION_TEST_PASSWORD;
const settings = createSettingsFiles('gh-admin-api-');
afterAll(() => settings.remove());

const adminConsole = adminConsoleClient;

function call(app: TestApp, path: string, token: string | undefined, init: RequestInit = {}): Promise<Response> {
  return callAdminApi(app, path, token, init);
}

/** A new person, an admin stream opened before they sign in, and the session.created it reported. */
async function watchNewSession(app: TestApp, token: string, email: string) {
  const person = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
  const stream = await openEventStream(undefined, `${app.issuer}/admin/api/events`, { authorization: `Bearer ${token}` });
  try {
    await stream.waitFor('ready');
    await openAccountPage(app, new Browser(), '/account', email);
    const created = await stream.waitFor('session.created', (data) => data.account === person.id);
    return { person, stream, created };
  } catch (error) {
    stream.close();
    throw error;
  }
}

async function auditRows(app: TestApp, type: string): Promise<{ account_id: string | null; detail: Record<string, unknown> }[]> {
  await app.context.audit.flush();
  const result = await app.context.database.query<{ account_id: string | null; detail: Record<string, unknown> }>(
    'SELECT account_id, detail FROM audit_events WHERE type = $1 ORDER BY occurred_at', [type],
  );
  return result.rows;
}

describe.each(storageVariants)('admin API on $name', ({ options }) => {
  let app: TestApp;
  let rp: oidc.Configuration;
  let adminId: string;
  let token: string;
  let consentPage: string;

  beforeAll(async () => {
    app = await startTestApp(options);
    rp = await adminConsole(app);
    adminId = await createAdmin(app, 'root@example.test');
    ({ token, consentPage } = await adminToken(app, rp, 'root@example.test'));
  });
  afterAll(async () => { await app?.close(); });

  it('says on the consent page what allowing the admin scope hands over', () => {
    expect(consentPage).toContain('Act as a Gatehouse administrator');
  });

  it('answers a request without a token with 401 and the Bearer challenge (RFC 6750 §3.1), JSON and no-store', async () => {
    for (const path of ['/users?email=root@example.test', '/events', '/no-such-route']) {
      const response = await call(app, path, undefined);
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="Gatehouse admin API"');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('refuses unknown, malformed and non-admin-API tokens with 401 invalid_token', async () => {
    const unknown = await call(app, '/users?email=root@example.test', 'x'.repeat(43));
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const malformed = await call(app, '/users?email=root@example.test', undefined, { headers: { authorization: `Basic ${btoa('a:b')}` } });
    expect(malformed.status).toBe(401);
    expect(await malformed.json()).toMatchObject({ error: 'invalid_request' });
    // A token for userinfo (no resource) from an ordinary sign-in of the same admin.
    const plain = await relyingParty(app);
    const signedIn = await signIn(new Browser(), plain, { email: 'root@example.test', password: PASSWORD, scope: 'openid' });
    const userinfoToken = (await exchangeCode(plain, signedIn)).access_token;
    const response = await call(app, '/users?email=root@example.test', userinfoToken);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('looks a person up by email, with their roles; 400 for a bad address, 404 for an unknown id or route', async () => {
    const person = await app.context.users.create({ email: 'Lookup@example.test', password: PASSWORD, emailVerified: true });
    const found = await call(app, '/users?email=lookup@example.test', token);
    expect(found.status).toBe(200);
    expect(found.headers.get('cache-control')).toBe('no-store');
    expect(await found.json()).toEqual({
      users: [{
        id: person.id, email: 'Lookup@example.test', email_verified: true, name: null, given_name: null, family_name: null, status: 'active', roles: [],
        created_at: person.createdAt.toISOString(), updated_at: person.updatedAt.toISOString(),
      }],
      next: null,
    });
    expect(await (await call(app, '/users?email=nobody@example.test', token)).json()).toEqual({ users: [], next: null });
    const admin = await (await call(app, `/users/${adminId}`, token)).json() as { roles: string[] };
    expect(admin.roles).toEqual(['admin']);
    const bad = await call(app, '/users?email=not-an-address', token);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_input' });
    for (const path of ['/users/00000000-0000-4000-8000-000000000000', '/users/not-a-uuid/sessions', '/nothing-here']) {
      const missing = await call(app, path, token);
      expect(missing.status, path).toBe(404);
      expect((await missing.json() as { error: string }).error, path).toBe('not_found');
    }
  });

  it('lists a person\'s sessions and ends one, audited with the admin who did it; ending all signs them out everywhere', async () => {
    const email = 'sessions-by-admin@example.test';
    const person = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const [laptop, phone] = [new Browser(), new Browser()];
    await openAccountPage(app, laptop, '/account', email);
    await openAccountPage(app, phone, '/account', email);
    const listed = await (await call(app, `/users/${person.id}/sessions`, token)).json() as { sessions: { session: string; clients: string[] }[] };
    expect(listed.sessions).toHaveLength(2);
    expect(listed.sessions[0]!.clients).toEqual(['gatehouse-account']);

    const one = await call(app, `/users/${person.id}/sessions/${listed.sessions[0]!.session}`, token, { method: 'DELETE' });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({ ended: 1, clients: ['gatehouse-account'], user: person.id });
    const ended = (await auditRows(app, 'session.ended')).filter((row) => row.account_id === person.id);
    expect(ended.at(-1)?.detail).toMatchObject({ reason: 'admin', by: `admin:${adminId}`, session: listed.sessions[0]!.session });
    expect((await call(app, `/users/${person.id}/sessions/${listed.sessions[0]!.session}`, token, { method: 'DELETE' })).status).toBe(404);

    const all = await call(app, `/users/${person.id}/sessions`, token, { method: 'DELETE' });
    expect(await all.json()).toMatchObject({ ended: 1 });
    const browserRp = await relyingParty(app);
    expect(await asksForPassword(laptop, browserRp)).toBe(true);
    expect(await asksForPassword(phone, browserRp)).toBe(true);
    expect(await (await call(app, `/users/${person.id}/sessions`, token)).json()).toEqual({ sessions: [] });
  });

  it('ends every session and, with revoke_grants=true, every grant: an offline refresh token survives the first, not the second', async () => {
    const email = 'offline-by-admin@example.test';
    const person = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browserRp = await relyingParty(app);
    const offline = () => signIn(new Browser(), browserRp, { email, password: PASSWORD, scope: 'openid offline_access', extraParams: { prompt: 'consent' } })
      .then((result) => exchangeCode(browserRp, result));

    const kept = await offline();
    expect(await (await call(app, `/users/${person.id}/sessions`, token, { method: 'DELETE' })).json()).toMatchObject({ ended: 1 });
    expect((await oidc.refreshTokenGrant(browserRp, kept.refresh_token!)).access_token).toEqual(expect.any(String));

    expect((await call(app, `/users/${person.id}/sessions?revoke_grants=maybe`, token, { method: 'DELETE' })).status).toBe(400);
    const revoked = await call(app, `/users/${person.id}/sessions?revoke_grants=true`, token, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ grants_revoked: 1, user: person.id });
    await expect(oidc.refreshTokenGrant(browserRp, kept.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(browserRp, kept.access_token)).active).toBe(false);
    const changed = (await auditRows(app, 'admin.user_changed')).filter((row) => row.account_id === person.id);
    expect(changed.at(-1)?.detail).toMatchObject({ action: 'grants_revoked', grants: 1, by: `admin:${adminId}` });
  });

  it('streams every account\'s sessions created and ended to admins', async () => {
    const { person, stream, created } = await watchNewSession(app, token, 'watched@example.test');
    try {
      await call(app, `/users/${person.id}/sessions`, token, { method: 'DELETE' });
      const ended = await stream.waitFor('session.ended', (data) => data.account === person.id);
      expect(ended.data).toMatchObject({ session: created.data.session, reason: 'admin' });
    } finally {
      stream.close();
    }
  });

  it('refuses a person without the admin role (403 insufficient_scope, audited), and an admin at once when the role is taken away', async () => {
    const email = 'not-an-admin@example.test';
    const person = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const { token: personToken } = await adminToken(app, rp, email);
    const refused = await call(app, '/users?email=root@example.test', personToken);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer realm="Gatehouse admin API", error="insufficient_scope", error_description="this account does not have the \'admin\' role", scope="admin"',
    );
    expect(await refused.json()).toMatchObject({ error: 'insufficient_scope' });
    const rows = (await auditRows(app, 'admin.api_refused')).filter((row) => row.account_id === person.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.detail).toMatchObject({ reason: 'not_admin' });

    const formerEmail = 'former-admin@example.test';
    await createAdmin(app, formerEmail);
    const { token: formerToken } = await adminToken(app, rp, formerEmail);
    expect((await call(app, '/users?email=root@example.test', formerToken)).status).toBe(200);
    await app.context.users.changeRoles(formerEmail, { add: [], remove: ['admin'] });
    expect((await call(app, '/users?email=root@example.test', formerToken)).status).toBe(403);
  });

  it('refuses a token for the admin API issued without the admin scope (403 insufficient_scope)', async () => {
    const result = await signIn(new Browser(), rp, {
      email: 'root@example.test', password: PASSWORD, scope: 'openid', extraParams: { resource: adminApiResource(app.issuer) },
    });
    const { access_token: scopeless } = await exchangeCode(rp, result);
    const response = await call(app, '/users?email=root@example.test', scopeless);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'insufficient_scope', error_description: 'the access token lacks the "admin" scope' });
  });

  it('stops accepting a token once it is revoked (RFC 7009)', async () => {
    await createAdmin(app, 'revoked-admin@example.test');
    const { token: revocable } = await adminToken(app, rp, 'revoked-admin@example.test');
    expect((await call(app, '/users?email=root@example.test', revocable)).status).toBe(200);
    await oidc.tokenRevocation(rp, revocable);
    expect((await call(app, '/users?email=root@example.test', revocable)).status).toBe(401);
  });
});

describe.each(storageVariants)('admin API rate limits on $name', ({ options }) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      ...options,
      env: { SETTINGS_FILE: settings.file(`limits-${options.kind ?? 'redis'}`, { rateLimits: { adminApiPerIp: { points: 6, windowSeconds: 600 }, adminApiPerAccount: { points: 3, windowSeconds: 600 } } }) },
    });
  });
  afterAll(async () => { await app?.close(); });

  it('counts every request per admin account, and every request per IP, token or not; 429 JSON with Retry-After', async () => {
    await createAdmin(app, 'busy-admin@example.test');
    const { token } = await adminToken(app, await adminConsole(app), 'busy-admin@example.test');
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await call(app, '/users?email=busy-admin@example.test', token)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call(app, '/users?email=busy-admin@example.test', token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: 'too_many_requests' });
    // Five requests from this IP so far; the sixth (without a token) is the last one let through.
    expect((await call(app, '/users', undefined)).status).toBe(401);
    const byIp = await call(app, '/users', undefined);
    expect(byIp.status).toBe(429);
    expect(byIp.headers.get('www-authenticate')).toBeNull();
  });
});

describe('admin event stream: sessions about to expire, and admins who no longer are', () => {
  let app: TestApp;

  beforeAll(async () => {
    // A warning window longer than the idle timeout: every session is about to expire at once.
    app = await startTestApp({
      env: { SETTINGS_FILE: settings.file('expiring', { sessions: { idleTimeoutSeconds: 600, expiryWarningSeconds: 900 }, adminApi: { accessTokenTtlSeconds: 600, expiryScanSeconds: 1 } }) },
    });
  });
  afterAll(async () => { await app?.close(); });

  it('warns of each session once per expiry, for every account', async () => {
    await createAdmin(app, 'clock-watcher@example.test');
    const { token } = await adminToken(app, await adminConsole(app), 'clock-watcher@example.test');
    const { person, stream, created } = await watchNewSession(app, token, 'expiring@example.test');
    try {
      const expiring = await stream.waitFor('session.expiring', (data) => data.session === created.data.session, 5_000);
      expect(expiring.data.account).toBe(person.id);
      expect(Date.parse(String(expiring.data.at))).toBeGreaterThan(Date.now());
      // Two more scans go by without the session being used: no second warning.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(stream.events.filter((event) => event.type === 'session.expiring' && event.data.session === created.data.session)).toHaveLength(1);
    } finally {
      stream.close();
    }
  });

  it('ends an open stream at the next scan once the account loses the admin role', async () => {
    const email = 'demoted@example.test';
    await createAdmin(app, email);
    const { token } = await adminToken(app, await adminConsole(app), email);
    const stream = await openEventStream(undefined, `${app.issuer}/admin/api/events`, { authorization: `Bearer ${token}` });
    try {
      await stream.waitFor('ready');
      let ended = false;
      void stream.ended.then(() => { ended = true; });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(ended).toBe(false);
      await app.context.users.changeRoles(email, { add: [], remove: ['admin'] });
      await Promise.race([stream.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('stream still open')), 5_000))]);
    } finally {
      stream.close();
    }
  });
});
