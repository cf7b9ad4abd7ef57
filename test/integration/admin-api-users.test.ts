// The admin API's user management: disabling a signed-in person ends their session (back-channel
// logout, prompt=none answers login_required) and kills their refresh token at once; the list is
// searched and paged by cursor; every change is audited naming the admin; bad input is a 400 that
// names the field, an unknown id a 404.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles, signInOffline, storageVariants, uniqueEmail } from '../helpers/accounts.js';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin, ADMIN_TEST_PASSWORD } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { latestMailTo } from '../helpers/outbox.js';
import { totpCode } from '../helpers/totp.js';
import { buildAuthorizationRequest, discoverIssuer, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startBackchannelReceiver, validateLogoutToken, type BackchannelReceiver } from '../helpers/sessions.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = ADMIN_TEST_PASSWORD;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const settings = createSettingsFiles('gh-admin-users-');
afterAll(() => settings.remove());
const FAST_LOGOUT = { sessions: { backchannelLogout: { allowPrivateAddresses: true, pollIntervalMs: 100, baseDelaySeconds: 1, maxDelaySeconds: 1, timeoutMs: 2000 } } };

type Json = Record<string, unknown>;

async function json(response: Response): Promise<Json> {
  return await response.json() as Json;
}

/** The audit rows of the account (or address) written since `since`, oldest first. */
async function auditSince(app: TestApp, since: Date, who: { accountId?: string; email?: string }) {
  await app.context.audit.flush();
  const result = await app.context.database.query<{ type: string; email: string | null; detail: Json }>(
    `SELECT type, email, detail FROM audit_events WHERE occurred_at >= $1 AND (account_id = $2 OR lower(email) = lower($3))
     ORDER BY occurred_at, id`,
    [since, who.accountId ?? null, who.email ?? null],
  );
  return result.rows;
}

/** Whether this browser's silent authorization request (prompt=none) is refused with login_required. */
async function silentSignInRefused(browser: Browser, rp: oidc.Configuration): Promise<string | null> {
  const request = await buildAuthorizationRequest(rp, { scope: 'openid', extraParams: { prompt: 'none' } });
  const page = await browser.get(request.url.href, { followOrigins: [request.url.origin] });
  return new URL(page.location!).searchParams.get('error');
}

describe.each(storageVariants)('disabling a signed-in user through the admin API on $name', ({ options }) => {
  let app: TestApp;
  let receiver: BackchannelReceiver;
  let rp: oidc.Configuration;
  let clientId: string;
  let token: string;
  let adminId: string;

  beforeAll(async () => {
    app = await startTestApp({ ...options, env: { SETTINGS_FILE: settings.file('fast', FAST_LOGOUT) } });
    receiver = await startBackchannelReceiver();
    const client = await app.context.clients.register({ name: 'Notebook', redirectUris: [RP_REDIRECT_URI], backchannelLogoutUri: receiver.uri });
    clientId = client.clientId;
    rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
    adminId = await createAdmin(app, uniqueEmail('root'));
    ({ token } = await adminToken(app, await adminConsoleClient(app), (await app.context.users.findById(adminId))!.email));
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
  });

  it('ends the session (back-channel logout, prompt=none gives login_required), refuses the refresh token, and the password sign-in says why', async () => {
    const email = uniqueEmail('suspect');
    const person = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browser = new Browser();
    const tokens = await signInOffline(browser, rp, email, PASSWORD);
    expect(await silentSignInRefused(browser, rp)).toBeNull();
    const since = new Date();

    const disabled = await callAdminApi(app, `/users/${person.id}/disable`, token, { method: 'POST' });
    expect(disabled.status).toBe(200);
    expect(await json(disabled)).toMatchObject({ user: { id: person.id, status: 'disabled' }, sessions_ended: 1, grants_revoked: 1 });

    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
    expect(await silentSignInRefused(browser, rp)).toBe('login_required');
    const logout = await receiver.waitFor(async (candidate) => (await validateLogoutToken(candidate, { issuer: app.issuer, clientId })).sub === person.id);
    expect(logout).toEqual(expect.any(String));
    expect(await json(await callAdminApi(app, `/users/${person.id}/sessions`, token))).toEqual({ sessions: [] });

    // The right password now meets a page that says the account is disabled; a wrong one, the usual refusal.
    const request = await buildAuthorizationRequest(rp, { scope: 'openid' });
    const fresh = new Browser();
    const form = await fresh.get(request.url.href, { followOrigins: [request.url.origin] });
    const refused = await fresh.submit(form, { button: 'Sign in', fields: { email, password: PASSWORD }, followOrigins: [request.url.origin] });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('This account was disabled by an administrator.');
    const wrong = await fresh.submit(form, { button: 'Sign in', fields: { email, password: `${PASSWORD}!` }, followOrigins: [request.url.origin] });
    expect(wrong.body).not.toContain('disabled');

    const rows = await auditSince(app, since, { accountId: person.id });
    expect(rows.find((row) => row.type === 'admin.user_changed' && row.detail.action === 'disabled')?.detail).toMatchObject({ by: `admin:${adminId}`, wasStatus: 'active' });
    expect(rows.find((row) => row.type === 'session.ended')?.detail).toMatchObject({ reason: 'admin', by: `admin:${adminId}` });
    expect(rows.find((row) => row.type === 'login.failure' && row.detail.reason === 'disabled')).toBeDefined();

    expect(await json(await callAdminApi(app, `/users/${person.id}/enable`, token, { method: 'POST' }))).toMatchObject({ status: 'active' });
    expect((await signInOffline(new Browser(), rp, email, PASSWORD)).refresh_token).toEqual(expect.any(String));
  });

  it('with keep_grants ends the sessions only: the refresh token is refused while disabled and works again once enabled', async () => {
    const email = uniqueEmail('on-leave');
    const person = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const tokens = await signInOffline(new Browser(), rp, email, PASSWORD);
    const disabled = await callAdminApi(app, `/users/${person.id}/disable`, token, { method: 'POST', json: { keep_grants: true } });
    expect(await json(disabled)).toMatchObject({ sessions_ended: 1, grants_revoked: null });
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await callAdminApi(app, `/users/${person.id}/enable`, token, { method: 'POST' });
    expect((await oidc.refreshTokenGrant(rp, tokens.refresh_token!)).access_token).toEqual(expect.any(String));
  });
});

describe('user administration through the admin API', () => {
  let app: TestApp;
  let token: string;
  let adminId: string;
  let by: string;

  beforeAll(async () => {
    app = await startTestApp();
    adminId = await createAdmin(app, 'chief@example.test');
    by = `admin:${adminId}`;
    ({ token } = await adminToken(app, await adminConsoleClient(app), 'chief@example.test'));
  });
  afterAll(async () => { await app?.close(); });

  const call = (path: string, init: RequestInit & { json?: unknown } = {}) => callAdminApi(app, path, token, init);

  it('searches by part of the address or name in any case, filters by status and role, and pages by cursor', async () => {
    const created: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      const user = await app.context.users.create({ email: `pager${index}@example.test`, password: PASSWORD, name: `Pat Pager ${index}` });
      created.push(user.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await json(await call(`/users?q=PAGER&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
      const users = page.users as { id: string; email: string }[];
      expect(users.length).toBeLessThanOrEqual(3);
      seen.push(...users.map((user) => user.id));
      cursor = page.next as string | null;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    // Newest first, each once.
    expect(seen).toEqual([...created].reverse());

    expect((await json(await call('/users?q=pat%20pager%204'))).users).toMatchObject([{ email: 'pager4@example.test', roles: [] }]);
    expect((await json(await call('/users?q=%25'))).users).toEqual([]);
    await call(`/users/${created[2]}/roles/support`, { method: 'PUT' });
    await call(`/users/${created[5]}/disable`, { method: 'POST' });
    expect((await json(await call('/users?role=support'))).users).toMatchObject([{ id: created[2], roles: ['support'] }]);
    expect((await json(await call('/users?q=pager&status=disabled'))).users).toMatchObject([{ id: created[5], status: 'disabled' }]);
    expect((await json(await call('/users?email=PAGER3@example.test'))).users).toMatchObject([{ id: created[3] }]);

    for (const [query, field] of [['cursor=bm9wZQ', 'cursor'], ['limit=0', 'limit'], ['limit=201', 'limit'], ['status=gone', 'status'], ['role=Admin', 'role'], ['colour=red', '(body)']] as const) {
      const refused = await call(`/users?${query}`);
      expect(refused.status, query).toBe(400);
      const body = await json(refused);
      expect(body.error, query).toBe('invalid_input');
      expect(Object.keys(body.fields as Json), query).toEqual([field === '(body)' ? expect.any(String) : field]);
    }
  });

  it('creates a user (201) or invites an address, and refuses bad input field by field', async () => {
    const created = await call('/users', { method: 'POST', json: { email: 'newcomer@example.test', password: PASSWORD, name: 'New Comer', roles: ['support'], email_verified: true } });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ email: 'newcomer@example.test', name: 'New Comer', roles: ['support'], email_verified: true, status: 'active' });
    expect((await call('/users', { method: 'POST', json: { email: 'NEWCOMER@example.test', password: PASSWORD } })).status).toBe(409);

    const invited = await call('/users', { method: 'POST', json: { email: 'invitee@example.test', invite: true } });
    expect(invited.status).toBe(201);
    expect(await json(invited)).toMatchObject({ invitation: { email: 'invitee@example.test', expires_at: expect.any(String) } });
    expect(latestMailTo(app.config.mail.outboxDir, 'invitee@example.test')?.text).toContain('/account/register?invitation=');

    const cases: [Json, string][] = [
      [{ email: 'weak@example.test', password: 'short' }, 'password'],
      [{ email: 'weak@example.test', password: 'weak@example.test is mine' }, 'password'],
      [{ email: 'nopass@example.test' }, 'password'],
      [{ email: 'both@example.test', password: PASSWORD, invite: true }, 'password'],
      [{ email: 'not an address', password: PASSWORD }, 'email'],
      [{ email: 'roles@example.test', password: PASSWORD, roles: ['Bad Role'] }, 'roles.0'],
      [{ email: 'extra@example.test', password: PASSWORD, colour: 'red' }, '(body)'],
    ];
    for (const [body, field] of cases) {
      const refused = await call('/users', { method: 'POST', json: body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      const fields = (await json(refused)).fields as Json;
      if (field === '(body)') expect(Object.keys(fields)).toHaveLength(1);
      else expect(fields[field], JSON.stringify(body)).toEqual(expect.any(String));
    }
    expect(await app.context.users.findByEmail('weak@example.test')).toBeUndefined();
  });

  it('shows a user with roles, two-factor and lockout state; 404 for unknown ids on every route', async () => {
    const user = await app.context.users.create({ email: 'shown@example.test', password: PASSWORD, givenName: 'Sho', familyName: 'Wn' });
    expect(await json(await call(`/users/${user.id}`))).toMatchObject({
      id: user.id, given_name: 'Sho', family_name: 'Wn', roles: [], two_factor: { enrolled: false, backup_codes_left: 0, trusted_devices: 0 },
      lockout: { locked: false, sources: 0, locked_until: null },
    });
    const routes: [string, string, unknown?][] = [
      ['GET', ''], ['PATCH', '', { name: 'X' }], ['DELETE', ''], ['POST', '/verify-email'], ['POST', '/disable'], ['POST', '/enable'],
      ['POST', '/reset-two-factor'], ['POST', '/unlock'], ['POST', '/password-reset'], ['PUT', '/password', { password: PASSWORD }],
      ['PUT', '/roles/support'], ['DELETE', '/roles/support'], ['GET', '/sessions'],
    ];
    for (const [method, suffix, body] of routes) {
      for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
        const response = await call(`/users/${id}${suffix}`, { method, ...(body ? { json: body } : {}) });
        expect(response.status, `${method} ${suffix} ${id}`).toBe(404);
        expect((await json(response)).error).toBe('not_found');
      }
    }
    expect((await call(`/users/${user.id}/roles/Not%20A%20Role`, { method: 'PUT' })).status).toBe(400);
    expect((await call(`/users/${user.id}`, { method: 'PATCH', json: { name: 'x'.repeat(201) } })).status).toBe(400);
    expect((await call(`/users/${user.id}/disable`, { method: 'POST', json: { keep_grants: 'yes' } })).status).toBe(400);
  });

  it('will not let an admin disable or delete their own account, or take their own admin role (409)', async () => {
    for (const [method, suffix] of [['POST', '/disable'], ['DELETE', ''], ['DELETE', '/roles/admin']] as const) {
      const refused = await call(`/users/${adminId}${suffix}`, { method });
      expect(refused.status, `${method} ${suffix}`).toBe(409);
      expect((await json(refused)).error).toBe('conflict');
    }
    expect(await json(await call(`/users/${adminId}`))).toMatchObject({ status: 'active', roles: ['admin'] });
  });

  it('audits every change with the admin who made it', async () => {
    const email = 'audited@example.test';
    const user = await app.context.users.create({ email, password: PASSWORD });
    const since = new Date();
    const steps: [string, string, unknown?, number?][] = [
      ['PATCH', '', { name: 'Audie Ted', given_name: 'Audie' }],
      ['POST', '/verify-email'],
      ['PUT', '/roles/auditor'],
      ['DELETE', '/roles/auditor'],
      ['POST', '/reset-two-factor'],
      ['POST', '/unlock'],
      ['POST', '/password-reset', undefined, 202],
      ['PUT', '/password', { password: 'a brand new long passphrase' }],
      ['POST', '/disable'],
      ['POST', '/enable'],
      ['PATCH', '', { email: 'audited.new@example.test' }],
    ];
    for (const [method, suffix, body, status] of steps) {
      const response = await call(`/users/${user.id}${suffix}`, { method, ...(body ? { json: body } : {}) });
      expect(response.status, `${method} ${suffix}`).toBe(status ?? 200);
      if (suffix !== '/password-reset') continue;
      // The reset mail goes through the queue, as from the forgot-password page.
      await app.app.accountMail.runOnce();
      expect(latestMailTo(app.config.mail.outboxDir, email)?.subject).toMatch(/reset/i);
    }
    const rows = await auditSince(app, since, { accountId: user.id });
    const byAdmin = rows.filter((row) => row.detail.by === by);
    expect(byAdmin.map((row) => `${row.type} ${String(row.detail.action ?? '')}`.trim())).toEqual(expect.arrayContaining([
      'admin.user_changed profile_updated', 'admin.user_changed email_verified', 'admin.user_changed roles_changed',
      'two_factor.reset', 'account.unlocked', 'admin.user_changed password_reset_sent', 'admin.user_changed password_set',
      'admin.user_changed disabled', 'admin.user_changed grants_revoked', 'account.reactivated',
    ]));
    expect(byAdmin.filter((row) => row.detail.action === 'roles_changed').map((row) => [row.detail.added, row.detail.removed])).toEqual([['auditor', ''], ['', 'auditor']]);
    expect(byAdmin.at(-1)).toMatchObject({ email: 'audited.new@example.test', detail: { action: 'profile_updated', fields: 'email' } });
    const shown = await json(await call(`/users/${user.id}`));
    expect(shown).toMatchObject({ email: 'audited.new@example.test', email_verified: true, name: 'Audie Ted', given_name: 'Audie', status: 'active' });
    // The new password works; the old one does not.
    expect((await app.context.users.authenticateWithPassword('audited.new@example.test', 'a brand new long passphrase'))?.id).toBe(user.id);
    expect(await app.context.users.authenticateWithPassword('audited.new@example.test', PASSWORD)).toBeUndefined();
  });

  it('tells the person of each change to how they sign in (ASVS 5.0 V6.3.7): two-factor reset, a new password, and a new address, told to the old one', async () => {
    const email = 'told@example.test';
    const user = await app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Tolda' });
    const { secretText } = await app.context.twoFactor.beginEnrolment(user.id, email);
    expect((await app.context.twoFactor.confirmEnrolment(user.id, totpCode(secretText, Date.now()))).ok).toBe(true);

    expect(await json(await call(`/users/${user.id}/reset-two-factor`, { method: 'POST' }))).toMatchObject({ was_on: true });
    const reset = latestMailTo(app.config.mail.outboxDir, email)!;
    expect(reset.subject).toBe('Two-factor sign-in was turned off on your account');
    expect(reset.text).toContain('An administrator turned off two-factor sign-in');
    expect(reset.html).toContain('Reset your password');
    // Nothing to say when there was nothing to turn off.
    expect(await json(await call(`/users/${user.id}/reset-two-factor`, { method: 'POST' }))).toMatchObject({ was_on: false });
    expect(latestMailTo(app.config.mail.outboxDir, email)!.subject).toBe(reset.subject);

    expect((await call(`/users/${user.id}/password`, { method: 'PUT', json: { password: 'quiet harbour lanterns at dusk' } })).status).toBe(200);
    expect(latestMailTo(app.config.mail.outboxDir, email)!.text).toContain('The password of your account was changed');

    expect((await call(`/users/${user.id}`, { method: 'PATCH', json: { email: 'told.new@example.test' } })).status).toBe(200);
    const moved = latestMailTo(app.config.mail.outboxDir, email)!;
    expect(moved.text).toContain('was changed on');
    expect(moved.text).toContain('told.new@example.test');
    expect(latestMailTo(app.config.mail.outboxDir, 'told.new@example.test')).toBeUndefined();
  });

  it('deletes a user as self-service deletion does: gone (404 after), audit rows kept without the address, audited naming the admin', async () => {
    const email = 'leaving@example.test';
    const user = await app.context.users.create({ email, password: PASSWORD });
    await call(`/users/${user.id}/verify-email`, { method: 'POST' });
    const deleted = await call(`/users/${user.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await call(`/users/${user.id}`)).status).toBe(404);
    expect(await app.context.users.findByEmail(email)).toBeUndefined();
    const rows = await auditSince(app, new Date(0), { accountId: user.id });
    expect(rows.every((row) => row.email === null)).toBe(true);
    expect(rows.find((row) => row.type === 'account.deleted')?.detail).toEqual({ by });
    expect(latestMailTo(app.config.mail.outboxDir, email)?.subject).toMatch(/deleted/i);
  });
});
