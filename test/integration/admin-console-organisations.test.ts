// The console's organisation pages over real HTTP: a global admin sees every organisation; an
// organisation admin (org role `admin`, no global role) is let into these pages only, sees only
// the organisations they administer, can invite and manage org roles there, and gets a 404 for any
// other organisation and a 403 for the rest of the console; a plain member gets a 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TEST_PASSWORD, createAdmin } from '../helpers/admin.js';
import { Browser, textOf, type Page } from '../helpers/browser.js';
import { latestMailTo } from '../helpers/outbox.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import type { Organisation } from '../../src/services/organisations.js';

const ACTOR = { by: 'admin-cli' };

describe('organisation pages of the admin console', () => {
  let app: TestApp;
  let acme: Organisation;
  let globex: Organisation;

  beforeAll(async () => {
    app = await startTestApp();
    const { users, organisations } = app.context;
    await createAdmin(app, 'root@example.test');
    for (const email of ['owner@example.test', 'member@example.test', 'other@example.test']) {
      await users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true });
    }
    acme = await organisations.create({ slug: 'acme', name: 'Acme Corporation' }, ACTOR);
    globex = await organisations.create({ slug: 'globex', name: 'Globex' }, ACTOR);
    await organisations.setMember('acme', 'owner@example.test', true, ACTOR, ['admin']);
    await organisations.setMember('acme', 'member@example.test', true, ACTOR, ['viewer']);
    await organisations.setMember('globex', 'other@example.test', true, ACTOR, ['admin']);
  });
  afterAll(async () => { await app?.close(); });

  async function signedIn(email: string, path: string): Promise<{ browser: Browser; page: Page }> {
    const browser = new Browser();
    const first = await browser.get(`${app.issuer}${path}`);
    expect(first.url).toMatch(/\/interaction\//);
    const page = await browser.submit(first, { button: 'Sign in', fields: { email, password: ADMIN_TEST_PASSWORD } });
    return { browser, page };
  }

  it('shows a global admin every organisation, with the console\'s whole navigation', async () => {
    const { page } = await signedIn('root@example.test', '/admin/organisations');
    expect(page.status).toBe(200);
    expect(textOf(page)).toContain('Acme Corporation');
    expect(textOf(page)).toContain('Globex');
    expect(page.body).toContain('href="/admin/users"');
  });

  it('lets an organisation admin into their organisations only, to invite and manage org roles', async () => {
    const { browser, page: home } = await signedIn('owner@example.test', '/admin');
    expect(new URL(home.url).pathname).toBe('/admin/organisations');
    expect(textOf(home)).toContain('Acme Corporation');
    expect(textOf(home)).not.toContain('Globex');
    expect(home.body).not.toContain('href="/admin/users"');

    expect((await browser.get(`${app.issuer}/admin/organisations/${globex.id}`)).status).toBe(404);
    expect((await browser.get(`${app.issuer}/admin/users`)).status).toBe(403);
    expect((await browser.get(`${app.issuer}/admin/clients`)).status).toBe(403);

    const page = await browser.get(`${app.issuer}/admin/organisations/${acme.id}`);
    expect(page.status).toBe(200);
    expect(textOf(page)).toContain('member@example.test');
    expect(page.body).not.toContain('Add an existing account');

    const invited = await browser.submit(page, { button: 'Send the invitation', fields: { email: 'newcomer@example.test', orgRoles: 'viewer, billing' } });
    expect(textOf(invited)).toContain('The invitation is on its way.');
    expect(latestMailTo(app.config.mail.outboxDir, 'newcomer@example.test')?.text).toContain('Acme Corporation');
    expect(textOf(invited)).toContain('newcomer@example.test (billing, viewer)');

    const memberId = (await app.context.users.findByEmail('member@example.test'))!.id;
    const saved = await browser.submit(invited, { button: 'Save roles of member@example.test', fields: { orgRoles: 'viewer, editor' } });
    expect(textOf(saved)).toContain('The org roles were saved.');
    expect(await app.context.organisations.membershipOf(acme.id, memberId)).toEqual({ orgRoles: ['editor', 'viewer'] });

    const refused = await browser.submit(saved, { button: 'Save roles of member@example.test', fields: { orgRoles: 'Not A Role' } });
    expect(refused.status).toBe(400);
    expect(textOf(refused)).toContain('is not a role name');

    // Another organisation's forms, and adding an account directly, are not theirs.
    const csrf = /name="csrf" value="([^"]+)"/.exec(saved.body)![1]!;
    const crossTenant = await browser.request(`${app.issuer}/admin/organisations/${globex.id}/invite`, { method: 'POST', form: { csrf, email: 'x@example.test' } });
    expect(crossTenant.status).toBe(404);
    const direct = await browser.request(`${app.issuer}/admin/organisations/${acme.id}/add`, { method: 'POST', form: { csrf, email: 'other@example.test' } });
    expect(direct.status).toBe(404);
    expect(await app.context.organisations.membershipOf(acme.id, (await app.context.users.findByEmail('other@example.test'))!.id)).toBeUndefined();

    await app.context.audit.flush();
    const audit = await app.context.database.query<{ detail: { by: string; action: string } }>(
      "SELECT detail FROM audit_events WHERE type = 'admin.organisation_changed' AND detail->>'by' LIKE 'org-admin:%' ORDER BY id",
    );
    expect(audit.rows.map((row) => row.detail.action)).toEqual(['invited', 'org_roles_set']);
  });

  it('refuses a member who is not an organisation admin', async () => {
    const { page } = await signedIn('member@example.test', '/admin/organisations');
    expect(page.status).toBe(403);
  });
});
