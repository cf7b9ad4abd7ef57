// Roles, groups and app access through the admin API: roles are defined, described and deleted
// (never the admin role); groups are created with roles, given members by id or address and
// roles, and deleted; a user's detail shows their groups and effective roles; a client's
// visible_roles, required_roles and required_groups are set, shown and cleared, and reach sign-in:
// a person outside the required group is stopped, and once added through the API signs in with the
// group in its userinfo. An admin cannot take the admin role from themselves through a group. Bad
// names are 400s naming the field, unknown ones 404s, and every change is audited naming the admin.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/accounts.js';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin, ADMIN_TEST_PASSWORD } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { storageKinds } from '../helpers/database.js';
import { buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

type Json = Record<string, unknown>;

async function json(response: Response): Promise<Json> {
  return await response.json() as Json;
}

describe.each(storageKinds)('roles, groups and app access through the admin API on %s', (kind) => {
  let app: TestApp;
  let token: string;
  let by: string;

  beforeAll(async () => {
    app = await startTestApp({ kind });
    const email = uniqueEmail('roles-admin');
    by = `admin:${await createAdmin(app, email)}`;
    ({ token } = await adminToken(app, await adminConsoleClient(app), email));
  });
  afterAll(async () => { await app?.close(); });

  const call = (path: string, init: RequestInit & { json?: unknown } = {}) => callAdminApi(app, path, token, init);

  async function auditOf(type: string, since: Date): Promise<Json[]> {
    await app.context.audit.flush();
    const result = await app.context.database.query<{ detail: Json }>(
      'SELECT detail FROM audit_events WHERE type = $1 AND occurred_at >= $2 ORDER BY occurred_at, id', [type, since],
    );
    return result.rows.map((row) => row.detail);
  }

  it('defines, shows, describes and deletes a role; the admin role stays', async () => {
    const since = new Date();
    const created = await call('/roles', { method: 'POST', json: { name: 'editor', description: 'Edits articles' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/admin/api/roles/editor');
    expect(await json(created)).toMatchObject({ name: 'editor', description: 'Edits articles', holders: 0, groups: 0 });
    expect((await call('/roles', { method: 'POST', json: { name: 'editor' } })).status).toBe(409);

    const person = await app.context.users.create({ email: uniqueEmail('holder'), password: ADMIN_TEST_PASSWORD });
    await call(`/users/${person.id}/roles/editor`, { method: 'PUT' });
    const listed = (await json(await call('/roles'))).roles as Json[];
    expect(listed.find((role) => role.name === 'editor')).toMatchObject({ holders: 1, groups: 0 });
    expect(listed.find((role) => role.name === 'admin')).toMatchObject({ holders: expect.any(Number) });

    const described = await call('/roles/editor', { method: 'PATCH', json: { description: 'Edits and publishes' } });
    expect(await json(described)).toMatchObject({ name: 'editor', description: 'Edits and publishes', holders: 1 });
    expect(await json(await call('/roles/editor'))).toMatchObject({ description: 'Edits and publishes' });

    expect((await call('/roles/editor', { method: 'DELETE' })).status).toBe(204);
    expect((await call('/roles/editor')).status).toBe(404);
    expect((await json(await call(`/users/${person.id}`))).roles).toEqual([]);

    const admin = await call('/roles/admin', { method: 'DELETE' });
    expect(admin.status).toBe(409);
    expect(await json(admin)).toMatchObject({ error_description: expect.stringContaining('admin role cannot be deleted') });

    expect(await auditOf('admin.role_changed', since)).toEqual([
      expect.objectContaining({ action: 'defined', role: 'editor', by }),
      expect.objectContaining({ action: 'described', role: 'editor', by }),
      expect.objectContaining({ action: 'deleted', role: 'editor', holders: 1, by }),
    ]);
  });

  it('refuses bad role names and bodies with 400 naming the field, and unknown roles with 404', async () => {
    const badBody = await call('/roles', { method: 'POST', json: { name: 'Not A Role', description: 'x'.repeat(201), extra: 1 } });
    expect(badBody.status).toBe(400);
    expect((await json(badBody)).fields).toEqual({
      name: expect.stringContaining('is not a role name'), description: expect.stringContaining('200'), extra: 'not a field this route takes',
    });
    const badPath = await call('/roles/Bad%20Name');
    expect(badPath.status).toBe(400);
    expect((await json(badPath)).fields).toEqual({ name: expect.stringContaining('is not a role name') });
    expect((await call('/roles/no-such-role')).status).toBe(404);
    expect((await call('/roles/no-such-role', { method: 'PATCH', json: { description: 'x' } })).status).toBe(404);
    expect((await call('/roles/no-such-role', { method: 'DELETE' })).status).toBe(404);
  });

  it('creates a group with roles, adds members by id and address, gives and takes roles, and deletes it', async () => {
    const since = new Date();
    const alice = await app.context.users.create({ email: uniqueEmail('alice'), password: ADMIN_TEST_PASSWORD });
    const bob = await app.context.users.create({ email: uniqueEmail('bob'), password: ADMIN_TEST_PASSWORD });
    await app.context.users.changeRoles(alice.email, { add: ['reader'], remove: [] });

    const created = await call('/groups', { method: 'POST', json: { name: 'ops', description: 'Operations', roles: ['deployer'] } });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ name: 'ops', description: 'Operations', roles: ['deployer'], member_count: 0 });
    expect((await call('/groups', { method: 'POST', json: { name: 'ops' } })).status).toBe(409);
    // A role a group is given is defined with it.
    expect(await json(await call('/roles/deployer'))).toMatchObject({ groups: 1 });

    const byId = await call(`/groups/ops/members/${alice.id}`, { method: 'PUT' });
    expect(await json(byId)).toEqual({ group: 'ops', user: { id: alice.id, email: alice.email }, member: true, changed: true });
    const byEmail = await json(await call(`/groups/ops/members/${encodeURIComponent(bob.email.toUpperCase())}`, { method: 'PUT' }));
    expect(byEmail).toMatchObject({ user: { id: bob.id }, changed: true });
    expect(await json(await call(`/groups/ops/members/${bob.id}`, { method: 'PUT' }))).toMatchObject({ changed: false });

    expect(await json(await call('/groups/ops/roles/oncall', { method: 'PUT' }))).toMatchObject({ roles: ['deployer', 'oncall'], changed: true });
    const shown = await json(await call('/groups/ops'));
    expect(shown).toMatchObject({ name: 'ops', member_count: 2, roles: ['deployer', 'oncall'] });
    expect((shown.members as Json[]).map((member) => member.id).sort()).toEqual([alice.id, bob.id].sort());

    const detail = await json(await call(`/users/${alice.id}`));
    expect(detail).toMatchObject({ roles: ['reader'], groups: ['ops'], effective_roles: ['deployer', 'oncall', 'reader'] });

    expect(await json(await call('/groups/ops/roles/oncall', { method: 'DELETE' }))).toMatchObject({ roles: ['deployer'], changed: true });
    expect(await json(await call(`/groups/ops/members/${encodeURIComponent(alice.email)}`, { method: 'DELETE' }))).toMatchObject({ member: false, changed: true });
    expect(await json(await call(`/users/${alice.id}`))).toMatchObject({ roles: ['reader'], groups: [], effective_roles: ['reader'] });
    expect(await json(await call('/groups/ops', { method: 'PATCH', json: { description: 'Operations team' } }))).toMatchObject({ description: 'Operations team', member_count: 1 });
    expect((await json(await call('/groups'))).groups).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'ops', member_count: 1 })]));

    expect((await call('/groups/ops', { method: 'DELETE' })).status).toBe(204);
    expect((await call('/groups/ops')).status).toBe(404);
    expect(await json(await call(`/users/${bob.id}`))).toMatchObject({ groups: [], effective_roles: [] });

    const rows = await auditOf('admin.group_changed', since);
    expect(rows.map((row) => row.action)).toEqual([
      'created', 'member_added', 'member_added', 'role_added', 'role_removed', 'member_removed', 'described', 'deleted',
    ]);
    expect(rows.every((row) => row.by === by && row.group === 'ops')).toBe(true);
    expect(rows[0]).toMatchObject({ rolesAdded: 'deployer' });
  });

  it('refuses bad group, member and role names with 400 naming the field, and unknown ones with 404', async () => {
    const bad = await call('/groups', { method: 'POST', json: { name: '-ops', roles: ['Admin'] } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).fields).toEqual({ name: expect.stringContaining('is not a group name'), 'roles.0': expect.stringContaining('is not a role name') });
    expect((await json(await call('/groups/UPPER'))).fields).toEqual({ name: expect.stringContaining('is not a group name') });
    expect((await call('/groups/nobody-here')).status).toBe(404);
    expect((await call('/groups/nobody-here', { method: 'DELETE' })).status).toBe(404);
    expect((await call('/groups/nobody-here/roles/reader', { method: 'PUT' })).status).toBe(404);

    await call('/groups', { method: 'POST', json: { name: 'qa' } });
    const badRole = await call('/groups/qa/roles/Not%20Valid', { method: 'PUT' });
    expect(badRole.status).toBe(400);
    expect((await json(badRole)).fields).toEqual({ role: expect.stringContaining('is not a role name') });
    expect((await call('/groups/qa/members/nobody@example.test', { method: 'PUT' })).status).toBe(404);
    expect((await call('/groups/qa/members/00000000-0000-4000-8000-000000000000', { method: 'PUT' })).status).toBe(404);
  });

  it('an admin through a group cannot take the admin role from themselves; another admin can', async () => {
    const email = uniqueEmail('group-admin');
    const self = await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true });
    const cli = { by: 'admin-cli' };
    await app.context.rolesAndGroups.defineGroup({ name: 'root-admins', roles: ['admin'] }, cli);
    await app.context.rolesAndGroups.setMember('root-admins', self.id, true, cli);
    const { token: own } = await adminToken(app, await adminConsoleClient(app), email);
    const asSelf = (path: string, method: string) => callAdminApi(app, path, own, { method });

    for (const [path, method] of [[`/groups/root-admins/members/${self.id}`, 'DELETE'], ['/groups/root-admins/roles/admin', 'DELETE'], ['/groups/root-admins', 'DELETE']] as const) {
      const refused = await asSelf(path, method);
      expect(refused.status, `${method} ${path}`).toBe(409);
      expect(await json(refused)).toMatchObject({ error_description: expect.stringContaining('your own admin role') });
    }
    expect(await json(await call('/groups/root-admins'))).toMatchObject({ roles: ['admin'], member_count: 1 });
    expect((await asSelf('/roles', 'GET')).status).toBe(200);

    expect(await json(await call(`/groups/root-admins/members/${self.id}`, { method: 'DELETE' }))).toMatchObject({ changed: true });
    expect((await asSelf('/roles', 'GET')).status).toBe(403);
  });

  it('sets, shows and clears a client\'s access lists; the required group decides who may sign in', async () => {
    // A required group or role must exist: a typo would stop everyone.
    const typo = await call('/clients', { method: 'POST', json: { client_name: 'Wiki', redirect_uris: [RP_REDIRECT_URI], required_groups: ['wiki-users'] } });
    expect(typo.status).toBe(400);
    expect((await json(typo)).fields).toEqual({ 'required_groups.0': 'no group named "wiki-users"; create it first' });
    await call('/groups', { method: 'POST', json: { name: 'wiki-users' } });
    await call('/roles', { method: 'POST', json: { name: 'wiki-admin' } });
    const created = await call('/clients', {
      method: 'POST',
      json: { client_name: 'Wiki', redirect_uris: [RP_REDIRECT_URI], scope: 'openid groups roles', required_groups: ['wiki-users'], visible_roles: ['wiki-editor'] },
    });
    expect(created.status).toBe(201);
    const client = await json(created);
    expect(client).toMatchObject({ required_groups: ['wiki-users'], required_roles: [], visible_roles: ['wiki-editor'] });
    const clientId = client.client_id as string;

    const email = uniqueEmail('wiki-reader');
    const person = await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true, roles: ['wiki-editor', 'other'] });
    const rp = await discoverIssuer(app.issuer, clientId, client.client_secret as string);

    // Not in the group: after signing in the person meets the no-access page.
    const browser = new Browser();
    const request = await buildAuthorizationRequest(rp, { scope: 'openid groups roles' });
    const form = await browser.get(request.url.href, { followOrigins: [request.url.origin] });
    const refused = await browser.submit(form, { button: 'Sign in', fields: { email, password: ADMIN_TEST_PASSWORD }, followOrigins: [request.url.origin] });
    expect(refused.body).toContain('has no access to <strong>Wiki</strong>');

    expect((await call(`/groups/wiki-users/members/${encodeURIComponent(email)}`, { method: 'PUT' })).status).toBe(200);
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email, password: ADMIN_TEST_PASSWORD, scope: 'openid groups roles' }));
    expect(await oidc.fetchUserInfo(rp, tokens.access_token, person.id)).toMatchObject({ groups: ['wiki-users'], roles: ['wiki-editor'] });

    const bad = await call(`/clients/${clientId}`, { method: 'PATCH', json: { required_roles: ['Bad Role'], required_groups: 'ops' } });
    expect(bad.status).toBe(400);
    expect(Object.keys((await json(bad)).fields as Json)).toEqual(['required_groups']);
    const badName = await call(`/clients/${clientId}`, { method: 'PATCH', json: { required_roles: ['ok', 'Bad Role'] } });
    expect((await json(badName)).fields).toEqual({ 'required_roles.1': expect.stringContaining('is not a role name') });

    const changed = await json(await call(`/clients/${clientId}`, { method: 'PATCH', json: { required_roles: ['wiki-admin'], visible_roles: [] } }));
    expect(changed).toMatchObject({ required_roles: ['wiki-admin'], required_groups: ['wiki-users'], visible_roles: [] });
    const cleared = await json(await call(`/clients/${clientId}`, { method: 'PATCH', json: { required_roles: [], required_groups: [] } }));
    expect(cleared).toMatchObject({ required_roles: [], required_groups: [], visible_roles: [] });
    expect((await app.context.clients.show(clientId)).metadata).not.toHaveProperty('required_groups');
  });
});
