// `gatehouse roles …`, `gatehouse groups …` and the access flags of `clients add|update` as an
// operator runs them: the real executable against a fresh DATA_DIR (and a database of its own on
// the real Postgres when TEST_DATABASE_URL is set). Each change is audited as admin-cli; every
// refusal is one line on stderr with a non-zero exit, and a refused name writes nothing.
import { describe, expect, it } from 'vitest';
import { cliFixture } from '../helpers/cli-fixture.js';
import { storageKinds } from '../helpers/database.js';
import { expectOk, expectRefused } from '../helpers/cli-expect.js';
import { runCli } from '../helpers/gatehouse-process.js';

const PASSWORD = 'a long and memorable passphrase';
const MANY_RUNS_MS = 600_000;

describe.each(storageKinds)('gatehouse roles and groups on %s', (kind) => {
  const cli = cliFixture(kind, 'gh-cli-roles-', { seeded: true });
  const run = (args: string[], stdin = '') => runCli(args, cli.env, stdin);

  async function auditRows(type: string) {
    return cli.withDatabase(async (database) => (await database.query<{ email: string | null; detail: Record<string, unknown> }>(
      'SELECT email, detail FROM audit_events WHERE type = $1 ORDER BY occurred_at, id', [type],
    )).rows);
  }

  it('defines, lists and deletes roles; groups get roles and members by address; everything is audited', { timeout: MANY_RUNS_MS }, async () => {
    expect(expectOk(await run(['roles', 'add', 'editor', '--description', 'Edits articles'])).stdout).toBe('defined role editor: Edits articles\n');
    expect(expectOk(await run(['roles', 'add', 'editor', '--description', 'Edits and publishes'])).stdout).toBe('described role editor: Edits and publishes\n');
    expectOk(await run(['users', 'add', '--email', 'dana@example.test', '--password', PASSWORD, '--role', 'editor']));

    const created = expectOk(await run(['groups', 'add', 'ops', '--description', 'Operations', '--roles', 'deployer,oncall']));
    expect(created.stdout).toBe('created group ops: Operations\nroles:   deployer, oncall\n');
    expect(expectOk(await run(['groups', 'add-member', 'ops', 'Dana@Example.test'])).stdout).toBe('added <dana@example.test> to group ops\n');
    expect(expectOk(await run(['groups', 'add-member', 'ops', 'dana@example.test'])).stdout).toBe('<dana@example.test> was already in group ops\n');
    expect(expectOk(await run(['groups', 'remove-role', 'ops', 'oncall'])).stdout).toContain('roles:   deployer\n');
    expect(expectOk(await run(['groups', 'add-role', 'ops', 'editor'])).stdout).toContain('roles:   deployer, editor\n');

    const roles = JSON.parse(expectOk(await run(['roles', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(roles.map((role) => role.name)).toEqual(['admin', 'deployer', 'editor', 'oncall']);
    expect(roles.find((role) => role.name === 'editor')).toMatchObject({ description: 'Edits and publishes', holders: 1, groups: 1 });
    const table = expectOk(await run(['roles', 'list'])).stdout.split('\n');
    expect(table[0]).toMatch(/^ROLE\s+HOLDERS\s+GROUPS\s+DESCRIPTION$/);
    expect(table).toContainEqual(expect.stringMatching(/^editor\s+1\s+1\s+Edits and publishes$/));

    const group = JSON.parse(expectOk(await run(['groups', 'show', 'ops', '--json'])).stdout) as Record<string, unknown>;
    expect(group).toMatchObject({ name: 'ops', roles: ['deployer', 'editor'], member_count: 1, members: [{ email: 'dana@example.test' }] });
    expect(expectOk(await run(['groups', 'show', 'ops'])).stdout).toContain('  dana@example.test  ');

    // Deleting asks for the name; what was typed wrong deletes nothing.
    const mistyped = await run(['roles', 'delete', 'editor'], 'editr\n');
    expect(mistyped.code).toBe(2);
    expect(mistyped.stderr).toMatch(/^Type the name \(editor\) to delete it; .*gatehouse: roles delete: what was typed is not editor; nothing was deleted/);
    const typed = await run(['roles', 'delete', 'editor'], 'editor\n');
    expect(typed.code, typed.stderr).toBe(0);
    expect(typed.stdout).toBe('deleted role editor\n');
    expect(expectOk(await run(['users', 'roles', '--email', 'dana@example.test'])).stdout).toBe('<dana@example.test> has no roles\n');
    expect(expectOk(await run(['groups', 'remove-member', 'ops', 'dana@example.test'])).stdout).toBe('removed <dana@example.test> from group ops\n');
    expect(expectOk(await run(['groups', 'delete', 'ops', '--yes'])).stdout).toBe('deleted group ops\n');
    expectRefused(await run(['groups', 'show', 'ops']), 1, /no group named ops/);

    const roleRows = await auditRows('admin.role_changed');
    expect(roleRows.map((row) => row.detail)).toEqual([
      expect.objectContaining({ action: 'defined', role: 'editor', by: 'admin-cli' }),
      expect.objectContaining({ action: 'described', role: 'editor', by: 'admin-cli' }),
      expect.objectContaining({ action: 'deleted', role: 'editor', holders: 1, groups: 1, by: 'admin-cli' }),
    ]);
    const groupRows = await auditRows('admin.group_changed');
    expect(groupRows.map((row) => row.detail.action)).toEqual(['created', 'member_added', 'role_removed', 'role_added', 'member_removed', 'deleted']);
    expect(groupRows.every((row) => row.detail.by === 'admin-cli')).toBe(true);
    expect(groupRows[1]!.email).toBe('dana@example.test');
  });

  it('refuses bad names, missing arguments, unknown groups and the admin role in one line', { timeout: MANY_RUNS_MS }, async () => {
    expectRefused(await run(['roles', 'add', 'Editors']), 2, /roles add: "Editors" is not a role name/);
    expectRefused(await run(['roles', 'add']), 2, /missing <name>/);
    expectRefused(await run(['roles', 'add', 'a', 'b']), 2, /unexpected argument "b"/);
    expectRefused(await run(['roles', 'add', 'a', '--description', 'x'.repeat(201)]), 2, /--description: .*200/);
    expectRefused(await run(['groups', 'add', 'team', '--roles', 'ok,Not OK']), 2, /"Not OK" is not a role name/);
    expectRefused(await run(['groups', 'add-member', 'team']), 2, /missing <email>/);
    expectRefused(await run(['groups', 'add-member', 'team', 'not-an-address']), 2, /"not-an-address" is not a valid email address/);
    expectRefused(await run(['groups', 'add-role', 'no-such-group', 'reader']), 1, /no group named no-such-group/);
    expectRefused(await run(['groups', 'add-member', 'no-such-group', 'nobody@example.test']), 1, /no user nobody@example\.test/);
    expectRefused(await run(['roles', 'delete', 'admin', '--yes']), 1, /admin role cannot be deleted/);
    expectRefused(await run(['roles', 'delete', 'never-defined', '--yes']), 1, /no role named never-defined/);
    expect(expectOk(await run(['groups', '--help'])).stdout).toContain('groups add-member');
    expect(expectOk(await run(['roles', 'add', '--help'])).stdout).toContain('Usage: gatehouse roles add <name>');
    // Nothing refused left a trace (the first test's group is gone).
    expect(JSON.parse(expectOk(await run(['groups', 'list', '--json'])).stdout)).toEqual([]);
    const roles = (JSON.parse(expectOk(await run(['roles', 'list', '--json'])).stdout) as Array<{ name: string }>).map((role) => role.name);
    expect(roles).not.toContain('a');
    expect(roles).not.toContain('reader');
  });

  it('sets, shows and clears a client\'s access lists with clients add and update', { timeout: MANY_RUNS_MS }, async () => {
    // A required group or role must exist: a typo would stop everyone.
    expectRefused(await run(['clients', 'add', '--name', 'Wiki', '--redirect-uri', 'https://wiki.example/cb', '--required-groups', 'wiki-users']), 1, /no group named "wiki-users"; create it first/);
    expectOk(await run(['groups', 'add', 'wiki-users', '--roles', 'wiki-admin']));
    const added = JSON.parse(expectOk(await run([
      'clients', 'add', '--name', 'Wiki', '--redirect-uri', 'https://wiki.example/cb', '--required-groups', 'wiki-users', '--visible-roles', 'wiki-editor,wiki-admin', '--json',
    ])).stdout) as Record<string, unknown>;
    expect(added).toMatchObject({ required_groups: ['wiki-users'], visible_roles: ['wiki-editor', 'wiki-admin'] });
    const clientId = added.client_id as string;

    const updated = JSON.parse(expectOk(await run([
      'clients', 'update', '--client', clientId, '--required-roles', 'wiki-admin', '--visible-roles', '', '--json',
    ])).stdout) as Record<string, unknown>;
    expect(updated).toMatchObject({ required_roles: ['wiki-admin'], required_groups: ['wiki-users'] });
    expect(updated).not.toHaveProperty('visible_roles');
    expect(expectOk(await run(['clients', 'show', '--client', clientId])).stdout).toMatch(/^required_groups:\s+wiki-users$/m);

    expectRefused(await run(['clients', 'update', '--client', clientId, '--required-groups', 'Wiki Users']), 2, /"Wiki Users" is not a group name/);
    const cleared = JSON.parse(expectOk(await run(['clients', 'update', '--client', clientId, '--required-roles', '', '--required-groups', '', '--json'])).stdout);
    expect(cleared).not.toHaveProperty('required_roles');
    expect(cleared).not.toHaveProperty('required_groups');
  });
});
