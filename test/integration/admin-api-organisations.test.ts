// The admin API's organisations over real HTTP with an admin's bearer token: create, show, rename
// and delete; members with org roles; invitations mailed with a single-use link; bad input is a
// 400 naming the field, an unknown organisation a 404, a taken slug a 409; every change audited
// naming the admin; each route in the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin } from '../helpers/admin.js';
import { storageKinds } from '../helpers/database.js';
import { latestMailTo, linksIn } from '../helpers/outbox.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

type Json = Record<string, unknown>;
const PASSWORD = 'a long and memorable passphrase';

describe.each(storageKinds)('admin API organisations on %s', (kind) => {
  let app: TestApp;
  let token: string;
  let adminId: string;

  beforeAll(async () => {
    app = await startTestApp({ kind });
    adminId = await createAdmin(app, 'root@example.test');
    token = (await adminToken(app, await adminConsoleClient(app), 'root@example.test')).token;
    await app.context.users.create({ email: 'ada@example.test', password: PASSWORD, emailVerified: true });
  });
  afterAll(async () => { await app?.close(); });

  async function call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; body: Json }> {
    const response = await callAdminApi(app, path, token, init);
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) as Json : {} };
  }

  async function auditDetails(): Promise<Json[]> {
    await app.context.audit.flush();
    const result = await app.context.database.query<{ detail: Json }>("SELECT detail FROM audit_events WHERE type = 'admin.organisation_changed' ORDER BY id");
    return result.rows.map((row) => row.detail);
  }

  it('creates, lists, shows by id or slug, renames and refuses bad or taken slugs', async () => {
    const created = await call('/organizations', { method: 'POST', json: { slug: 'acme', name: 'Acme Corporation' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ slug: 'acme', name: 'Acme Corporation', members: 0 });
    const id = created.body.id as string;
    expect((await call('/organizations', { method: 'POST', json: { slug: 'acme', name: 'Other' } })).status).toBe(409);
    const bad = await call('/organizations', { method: 'POST', json: { slug: '-Acme!', name: '' } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields as Json)).toContain('slug');
    const unknownField = await call('/organizations', { method: 'POST', json: { slug: 'x', name: 'X', owner: 'me' } });
    expect(unknownField.body.fields).toMatchObject({ owner: 'not a field this route takes' });

    expect((await call('/organizations')).body.organizations).toEqual([expect.objectContaining({ id, slug: 'acme' })]);
    expect((await call(`/organizations/${id}`)).body).toMatchObject({ id, slug: 'acme', member_list: [] });
    expect((await call('/organizations/acme')).body).toMatchObject({ id });
    expect((await call('/organizations/nope')).status).toBe(404);
    expect((await call('/organizations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const renamed = await call('/organizations/acme', { method: 'PATCH', json: { name: 'Acme Ltd' } });
    expect(renamed.body).toMatchObject({ id, name: 'Acme Ltd' });
    expect((await call('/organizations/acme', { method: 'PATCH', json: { name: ' ' } })).status).toBe(400);
  });

  it('adds members with org roles, sets and validates them, and removes members, auditing each change', async () => {
    const added = await call('/organizations/acme/members', { method: 'POST', json: { user: 'ada@example.test', org_roles: ['billing', 'admin', 'billing'] } });
    expect(added).toMatchObject({ status: 200, body: { changed: true } });
    const adaId = added.body.user_id as string;
    expect((await call('/organizations/acme/members', { method: 'POST', json: { user: adaId } })).body).toMatchObject({ changed: false });
    expect((await call('/organizations/acme/members')).body.members).toEqual([expect.objectContaining({ user_id: adaId, email: 'ada@example.test', org_roles: ['admin', 'billing'] })]);

    const set = await call(`/organizations/acme/members/${adaId}/roles`, { method: 'PUT', json: { org_roles: ['viewer'] } });
    expect(set.body).toMatchObject({ user_id: adaId, org_roles: ['viewer'] });
    const badRole = await call(`/organizations/acme/members/${adaId}/roles`, { method: 'PUT', json: { org_roles: ['Not A Role'] } });
    expect(badRole.status).toBe(400);
    expect(badRole.body.fields).toHaveProperty('org_roles');
    expect((await call('/organizations/acme/members/root@example.test/roles', { method: 'PUT', json: { org_roles: [] } })).status).toBe(404);
    expect((await call('/organizations/acme/members', { method: 'POST', json: { user: 'ghost@example.test' } })).status).toBe(404);

    expect((await call('/organizations/acme/members/ada@example.test', { method: 'DELETE' })).body).toMatchObject({ changed: true });
    expect(await app.context.organisations.membershipOf((await call('/organizations/acme')).body.id as string, adaId)).toBeUndefined();

    const actions = (await auditDetails()).map((detail) => detail.action);
    expect(actions).toEqual(['created', 'renamed', 'member_added', 'org_roles_set', 'member_removed']);
    expect((await auditDetails()).every((detail) => detail.by === `admin:${adminId}`)).toBe(true);
  });

  it('invites by email with a single-use link, lists and revokes open invitations', async () => {
    const invited = await call('/organizations/acme/invitations', { method: 'POST', json: { email: 'new.person@example.test', org_roles: ['viewer'] } });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ email: 'new.person@example.test', org_roles: ['viewer'] });
    expect(JSON.stringify(invited.body)).not.toMatch(/token/);
    const mail = latestMailTo(app.config.mail.outboxDir, 'new.person@example.test');
    expect(mail?.text).toContain('Acme Ltd');
    expect(linksIn(mail!.text).some((link) => link.startsWith(`${app.issuer}/account/organisations/join?token=`))).toBe(true);
    // Only the hash of the token is stored.
    const stored = await app.context.database.query<{ token_hash: string }>('SELECT token_hash FROM organisation_invitations');
    const link = linksIn(mail!.text).find((candidate) => candidate.includes('/join?token='))!;
    expect(stored.rows[0]!.token_hash).not.toBe(new URL(link).searchParams.get('token'));

    expect((await call('/organizations/acme/invitations')).body.invitations).toEqual([expect.objectContaining({ id: invited.body.id })]);
    expect((await call('/organizations/acme/invitations', { method: 'POST', json: { email: 'not an address' } })).body.fields).toHaveProperty('email');
    expect((await call(`/organizations/acme/invitations/${String(invited.body.id)}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/organizations/acme/invitations/${String(invited.body.id)}`, { method: 'DELETE' })).status).toBe(404);
    expect((await call('/organizations/acme/invitations')).body.invitations).toEqual([]);
  });

  it('deletes an organisation with its memberships', async () => {
    await call('/organizations/acme/members', { method: 'POST', json: { user: 'ada@example.test' } });
    expect((await call('/organizations/acme', { method: 'DELETE' })).status).toBe(204);
    expect((await call('/organizations/acme')).status).toBe(404);
    expect((await app.context.database.query('SELECT 1 FROM organisation_members')).rowCount).toBe(0);
  });

  it('documents every organisation route in the OpenAPI document', async () => {
    const document = await (await fetch(`${app.issuer}/admin/api/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/organizations')).sort()).toEqual([
      '/organizations', '/organizations/{org}', '/organizations/{org}/invitations', '/organizations/{org}/invitations/{invitation}',
      '/organizations/{org}/members', '/organizations/{org}/members/{user}', '/organizations/{org}/members/{user}/roles',
    ]);
  });
});
