// Personal access tokens through real HTTP: a person makes one on the account pages (shown once),
// a resource server's confidential client introspects it (active, sub, scope, exp, client_id,
// token_type, roles and groups per its scopes), revoking it on the page or at /token/revocation
// ends it, as do its expiry and the account being disabled. Only a keyed hash is stored, and the
// value reaches neither the payload stores nor the audit trail.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageVariants, uniqueEmail } from '../helpers/accounts.js';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin } from '../helpers/admin.js';
import { Browser, type Page } from '../helpers/browser.js';
import { makeToken, openTokensPage } from '../helpers/personal-tokens.js';
import { introspect as introspectAt, type ConfidentialClient } from '../helpers/introspection.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const TOKEN = /gatehouse_pat_[A-Za-z0-9_-]{43}/;
const ADMIN_ACTOR = { by: 'admin-cli' };

describe.each(storageVariants)('personal access tokens on $name', ({ options }) => {
  let app: TestApp;
  let api: ConfidentialClient;

  const introspect = (token: string) => introspectAt(app.issuer, api, token);

  async function person(name: string): Promise<{ id: string; email: string; browser: Browser; page: Page }> {
    const email = uniqueEmail(name);
    const user = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browser = new Browser();
    return { id: user.id, email, browser, page: await openTokensPage(app, browser, email) };
  }

  beforeAll(async () => {
    app = await startTestApp(options);
    const registered = await app.context.clients.register({ name: 'Reports API', grants: ['client_credentials'], scope: 'openid' });
    api = { id: registered.clientId, secret: registered.clientSecret! };
    await app.context.rolesAndGroups.defineRole({ name: 'reporter' }, ADMIN_ACTOR);
    await app.context.rolesAndGroups.defineGroup({ name: 'finance', roles: ['reporter'] }, ADMIN_ACTOR);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('makes a token shown once, which introspection answers with the claims of its scopes', async () => {
    const ada = await person('ada');
    await app.context.rolesAndGroups.setMember('finance', ada.email, true, ADMIN_ACTOR);
    const made = await makeToken(app, ada.browser, ada.page, { name: 'backup script', scopes: ['email', 'roles', 'groups'], days: '30' });
    expect(made.status).toBe(200);
    expect(made.headers.get('cache-control')).toBe('no-store');
    expect(made.body).toContain('only time it is shown');
    const value = TOKEN.exec(made.body)![0];

    const again = await ada.browser.get(`${app.issuer}/account/tokens`);
    expect(again.body).not.toContain(value);
    expect(again.body).toContain('backup script');
    expect(again.body).toContain('email, roles, groups');

    const answer = await introspect(value);
    expect(answer).toMatchObject({
      active: true, sub: ada.id, scope: 'openid email roles groups', client_id: 'gatehouse-personal-tokens', token_type: 'Bearer',
      roles: ['reporter'], groups: ['finance'], iss: app.issuer,
    });
    const thirtyDays = Math.floor(Date.now() / 1000) + 30 * 86_400;
    expect(Math.abs((answer.exp as number) - thirtyDays)).toBeLessThan(120);
    expect(answer).not.toHaveProperty('jti');

    // Its last use shows on the page.
    expect((await ada.browser.get(`${app.issuer}/account/tokens`)).body).not.toMatch(/<td>never<\/td>/);

    // Userinfo answers it with the claims of its scopes, as for a token from a sign-in.
    const userinfo = await fetch(`${app.issuer}/me`, { headers: { authorization: `Bearer ${value}` } });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toEqual({ sub: ada.id, email: ada.email, email_verified: true, roles: ['reporter'], groups: ['finance'] });
  });

  it('carries only the claims its scopes name, and no admin API access', async () => {
    const bob = await person('bob');
    await app.context.users.changeRoles(bob.email, { add: ['reporter'], remove: [] });
    const made = await makeToken(app, bob.browser, bob.page, { name: 'profile only', scopes: ['profile'], days: '7' });
    const value = TOKEN.exec(made.body)![0];
    const answer = await introspect(value);
    expect(answer).toMatchObject({ active: true, scope: 'openid profile' });
    expect(answer).not.toHaveProperty('roles');
    const refused = await callAdminApi(app, '/users', value);
    expect(refused.status).toBe(401);
  });

  it('stores only a keyed hash, and the value reaches neither the payload stores nor the audit trail', async () => {
    const cy = await person('cy');
    const made = await makeToken(app, cy.browser, cy.page, { name: 'stored', scopes: ['roles'], days: '1' });
    const value = TOKEN.exec(made.body)![0];
    expect((await introspect(value)).active).toBe(true);
    const rows = await app.context.database.query<Record<string, unknown>>('SELECT * FROM personal_access_tokens WHERE user_id = $1', [cy.id]);
    expect(rows.rows).toHaveLength(1);
    const stored = JSON.stringify(rows.rows);
    expect(stored).not.toContain(value);
    expect(stored).not.toContain(value.slice('gatehouse_pat_'.length));
    // Not a plain hash either: without ENCRYPTION_KEY nothing in the row can be checked against a guess.
    expect(stored).not.toContain(createHash('sha256').update(value).digest('hex'));
    const payloads = await app.context.database.query<{ payload: unknown }>("SELECT payload FROM oidc_payloads WHERE payload::text LIKE '%gatehouse_pat_%'");
    expect(payloads.rows).toHaveLength(0);
    if (app.testRedis) {
      for (const key of await app.testRedis.redis.keys(`${app.testRedis.keyPrefix}*`)) expect(key).not.toContain(value);
    }
    await app.context.audit.flush();
    const audit = await app.context.database.query<{ type: string; detail: Record<string, unknown> }>(
      "SELECT type, detail FROM audit_events WHERE account_id = $1 AND type LIKE 'personal_token.%'", [cy.id],
    );
    expect(audit.rows.map((row) => row.type)).toEqual(['personal_token.created']);
    expect(audit.rows[0]!.detail).toMatchObject({ name: 'stored', scope: 'roles', days: 1 });
    expect(JSON.stringify(audit.rows)).not.toContain(value);
  });

  it('revoked on the page, the token is inactive, and the revocation is audited', async () => {
    const dee = await person('dee');
    const made = await makeToken(app, dee.browser, dee.page, { name: 'to revoke', scopes: ['email'], days: '30' });
    const value = TOKEN.exec(made.body)![0];
    expect((await introspect(value)).active).toBe(true);
    const listed = await dee.browser.get(`${app.issuer}/account/tokens`);
    const revoked = await dee.browser.submit(listed, { button: 'Revoke' });
    expect(new URL(revoked.url).search).toBe('?notice=revoked');
    expect(revoked.body).toContain('The token was revoked.');
    expect(revoked.body).toContain('Revoked');
    expect(await introspect(value)).toEqual({ active: false });
    expect((await fetch(`${app.issuer}/me`, { headers: { authorization: `Bearer ${value}` } })).status).toBe(401);
    await app.context.audit.flush();
    const audit = await app.context.database.query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_events WHERE account_id = $1 AND type = 'personal_token.revoked'", [dee.id],
    );
    expect(audit.rows.map((row) => row.detail)).toEqual([expect.objectContaining({ name: 'to revoke', by: 'owner' })]);
  });

  it('is inactive once expired, once revoked at /token/revocation by its holder, and while the account is disabled', async () => {
    const eve = await person('eve');
    const tokens = await Promise.all(['expiring', 'revocable', 'disabled'].map(async (name) => {
      const page = await eve.browser.get(`${app.issuer}/account/tokens`);
      return TOKEN.exec((await makeToken(app, eve.browser, page, { name, scopes: ['email'], days: '1' })).body)![0];
    }));
    const [expiring, revocable, held] = tokens as [string, string, string];

    await app.context.database.query("UPDATE personal_access_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND name = 'expiring'", [eve.id]);
    expect(await introspect(expiring)).toEqual({ active: false });

    const revocation = await fetch(`${app.issuer}/token/revocation`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: revocable, client_id: 'gatehouse-personal-tokens' }),
    });
    expect(revocation.status).toBe(200);
    expect(await introspect(revocable)).toEqual({ active: false });

    // Disabled keeping its grants: unusable while disabled, working again once enabled.
    expect((await introspect(held)).active).toBe(true);
    await app.context.userAdmin.disable(eve.id, ADMIN_ACTOR, { keepGrants: true });
    expect(await introspect(held)).toEqual({ active: false });
    await app.context.userAdmin.enable(eve.id, ADMIN_ACTOR);
    expect((await introspect(held)).active).toBe(true);
    // Disabled outright (it may be compromised): revoked with every other token, for good.
    await app.context.userAdmin.disable(eve.id, ADMIN_ACTOR);
    await app.context.userAdmin.enable(eve.id, ADMIN_ACTOR);
    expect(await introspect(held)).toEqual({ active: false });
    await app.context.audit.flush();
    const audit = await app.context.database.query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_events WHERE account_id = $1 AND type = 'personal_token.revoked' ORDER BY occurred_at", [eve.id],
    );
    expect(audit.rows.map((row) => row.detail)).toEqual([
      expect.objectContaining({ name: 'revocable', by: 'token_revocation' }), expect.objectContaining({ count: 1, by: 'admin-cli' }),
    ]);
  });

  it('outlives a password change, which the person makes signed in, but not a sign-out everywhere', async () => {
    const gus = await person('gus');
    const value = TOKEN.exec((await makeToken(app, gus.browser, gus.page, { name: 'kept', scopes: ['email'], days: '30' })).body)![0];
    await app.context.revokeAccountTokens(gus.id, { exceptSessionId: 'the-session-kept', reason: 'password-changed' });
    expect((await introspect(value)).active).toBe(true);
    await app.context.revokeAccountTokens(gus.id, { reason: 'password-reset' });
    expect(await introspect(value)).toEqual({ active: false });
  });

  it('lets an admin list a person\'s tokens (never their values) and revoke one, audited naming the admin', async () => {
    const adminEmail = uniqueEmail('admin');
    const adminId = await createAdmin(app, adminEmail);
    const { token: bearer } = await adminToken(app, await adminConsoleClient(app), adminEmail);
    const hal = await person('hal');
    const value = TOKEN.exec((await makeToken(app, hal.browser, hal.page, { name: 'ci job', scopes: ['roles'], days: '30' })).body)![0];

    const listed = await callAdminApi(app, `/users/${hal.id}/personal-tokens`, bearer);
    expect(listed.status).toBe(200);
    const body = await listed.json() as { personal_tokens: { id: string; name: string; scope: string; revoked_at: string | null }[] };
    expect(body.personal_tokens).toEqual([expect.objectContaining({ name: 'ci job', scope: 'roles', revoked_at: null, last_used_at: null })]);
    expect(JSON.stringify(body)).not.toContain(value);

    const tokenId = body.personal_tokens[0]!.id;
    expect((await callAdminApi(app, `/users/${hal.id}/personal-tokens/${tokenId}`, bearer, { method: 'DELETE' })).status).toBe(204);
    expect(await introspect(value)).toEqual({ active: false });
    expect((await callAdminApi(app, `/users/${hal.id}/personal-tokens/${tokenId}`, bearer, { method: 'DELETE' })).status).toBe(404);
    expect((await callAdminApi(app, `/users/${hal.id}/personal-tokens/not-a-uuid`, bearer, { method: 'DELETE' })).status).toBe(404);
    expect((await callAdminApi(app, '/users/00000000-0000-4000-8000-000000000000/personal-tokens', bearer)).status).toBe(404);
    await app.context.audit.flush();
    const audit = await app.context.database.query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_events WHERE account_id = $1 AND type = 'personal_token.revoked'", [hal.id],
    );
    expect(audit.rows.map((row) => row.detail)).toEqual([expect.objectContaining({ name: 'ci job', by: `admin:${adminId}` })]);
  });

  it('refuses a bad form with the reason beside the field, keeping what was typed', async () => {
    const fay = await person('fay');
    const tooLong = await makeToken(app, fay.browser, fay.page, { name: 'deploys', scopes: ['email'], days: '400' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('A token lasts at most 366 days.');
    expect(tooLong.body).toContain('value="deploys"');
    expect(tooLong.body).not.toMatch(TOKEN);
    const page = await fay.browser.get(`${app.issuer}/account/tokens`);
    const noScope = await makeToken(app, fay.browser, page, { name: 'deploys', scopes: [], days: '30' });
    expect(noScope.status).toBe(400);
    expect(noScope.body).toContain('Choose at least one scope.');
    const unknown = await makeToken(app, fay.browser, page, { name: 'deploys', scopes: ['admin'], days: '30' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('Choose scopes from the list.');
    expect(await app.context.personalTokens.list(fay.id)).toEqual([]);
  });
});
