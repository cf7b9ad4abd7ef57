// `gatehouse orgs …` run as an operator runs it, against a real database: bad values refused with
// exit 2 before anything is opened; organisations created, shown and deleted; members added with
// org roles, their roles set, removed; an invitation mailed; each change audited as admin-cli.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliFixture } from '../helpers/cli-fixture.js';
import { storageKinds } from '../helpers/database.js';
import { runCli, type CliResult } from '../helpers/gatehouse-process.js';
import { latestMailTo } from '../helpers/outbox.js';

const PASSWORD = 'a long and memorable passphrase';
const MANY_RUNS_MS = 400_000;

describe.each(storageKinds)('gatehouse orgs on %s', (kind) => {
  const cli = cliFixture(kind, 'gh-orgs-cli-');

  function ok(result: CliResult): string {
    expect(result.stderr, result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  }

  it('refuses bad values with one line and exit 2 before the database is opened', { timeout: MANY_RUNS_MS }, async () => {
    const refused: Array<[string[], RegExp]> = [
      [['orgs', 'add', '--slug', 'Acme!', '--name', 'Acme'], /^gatehouse: orgs add: "acme!" is not a slug/],
      [['orgs', 'add', '--slug', 'acme'], /^gatehouse: orgs add: --name is required/],
      [['orgs', 'add-member', '--org', 'acme', '--email', 'nope'], /^gatehouse: orgs add-member: --email "nope" is not a valid email address/],
      [['orgs', 'set-roles', '--org', 'acme', '--email', 'a@example.test', '--role', 'Bad Role'], /^gatehouse: orgs set-roles: "Bad Role" is not a role name/],
      [['orgs', 'delete', '--org', 'acme'], /^gatehouse: orgs delete: --yes is required/],
      [['orgs', 'frobnicate'], /^gatehouse: orgs: unknown command "frobnicate"/],
    ];
    for (const [args, message] of refused) {
      const result = await runCli(args, cli.env);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/^gatehouse: [^\n]+\n$/);
    }
    if (!cli.serverDatabase) expect(existsSync(path.join(cli.dataDir, 'pgdata'))).toBe(false);
    expect(ok(await runCli(['orgs', '--help'], cli.env))).toMatch(/orgs invite +invite an address into an organisation by email/);
  });

  it('creates, fills, shows, changes and deletes an organisation, auditing each change', { timeout: MANY_RUNS_MS }, async () => {
    ok(await runCli(['users', 'add', '--email', 'ada@example.test', '--password', PASSWORD], cli.env));
    expect(ok(await runCli(['orgs', 'add', '--slug', 'acme', '--name', 'Acme Corporation'], cli.env)))
      .toMatch(/^created organisation [0-9a-f-]{36} \(acme\) "Acme Corporation"\n$/);
    expect(ok(await runCli(['orgs', 'add-member', '--org', 'acme', '--email', 'ada@example.test', '--role', 'billing', '--role', 'admin'], cli.env)))
      .toBe('added ada@example.test to acme; org roles: admin, billing\n');
    expect(ok(await runCli(['orgs', 'set-roles', '--org', 'acme', '--email', 'ada@example.test', '--role', 'viewer'], cli.env)))
      .toBe('ada@example.test in acme: org roles viewer\n');
    expect(ok(await runCli(['orgs', 'invite', '--org', 'acme', '--email', 'new@example.test', '--role', 'viewer'], cli.env))).toMatch(/^invited new@example.test to acme/);
    expect(latestMailTo(path.join(cli.dataDir, 'outbox'), 'new@example.test')?.text).toContain('/account/organisations/join?token=');
    const shown = JSON.parse(ok(await runCli(['orgs', 'show', '--org', 'acme', '--json'], cli.env))) as { members: Array<{ email: string; orgRoles: string[] }>; invitations: unknown[] };
    expect(shown.members).toEqual([expect.objectContaining({ email: 'ada@example.test', orgRoles: ['viewer'] })]);
    expect(shown.invitations).toHaveLength(1);
    expect(ok(await runCli(['orgs', 'list'], cli.env))).toMatch(/acme +1 +Acme Corporation/);
    expect(ok(await runCli(['orgs', 'remove-member', '--org', 'acme', '--email', 'ada@example.test'], cli.env))).toBe('removed ada@example.test from acme\n');
    const missing = await runCli(['orgs', 'show', '--org', 'globex'], cli.env);
    expect(missing).toMatchObject({ code: 1, stderr: 'gatehouse: no organisation globex\n' });
    expect(ok(await runCli(['orgs', 'delete', '--org', 'acme', '--yes'], cli.env))).toBe('deleted organisation acme\n');
    const audit = await cli.withDatabase(async (database) => (await database.query<{ detail: { action: string; by: string } }>(
      "SELECT detail FROM audit_events WHERE type = 'admin.organisation_changed' ORDER BY id",
    )).rows.map((row) => row.detail));
    expect(audit.map((detail) => detail.action)).toEqual(['created', 'member_added', 'org_roles_set', 'invited', 'member_removed', 'deleted']);
    expect(audit.every((detail) => detail.by === 'admin-cli')).toBe(true);
  });
});
