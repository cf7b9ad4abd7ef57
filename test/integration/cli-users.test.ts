// `gatehouse users list|disable|enable|delete|set-password` and `sessions revoke --session -…` as an
// operator runs them: the real executable against a fresh DATA_DIR (and a database of its own on
// the real Postgres when TEST_DATABASE_URL is set).
import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { cliFixture } from '../helpers/cli-fixture.js';
import { storageKinds } from '../helpers/database.js';
import { expectOk, expectRefused } from '../helpers/cli-expect.js';
import { runCli, type CliResult } from '../helpers/gatehouse-process.js';

const PASSWORD = 'a long and memorable passphrase';
const NEW_PASSWORD = 'another entirely different passphrase';
const MANY_RUNS_MS = 300_000;

function jsonLines(result: CliResult): Array<Record<string, unknown>> {
  return result.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.each(storageKinds)('gatehouse users commands on %s', (kind) => {
  const cli = cliFixture(kind, 'gh-cli-users-');
  const run = (args: string[], stdin = '') => runCli(args, cli.env, stdin);

  async function userRow(email: string) {
    return cli.withDatabase(async (database) => (await database.query<{ id: string; status: string; password_hash: string | null }>(
      'SELECT id, status, password_hash FROM users WHERE lower(email) = lower($1)', [email],
    )).rows[0]);
  }

  it('prints each command\'s help and refuses bad flags with a one-line reason before opening anything', async () => {
    for (const command of ['list', 'disable', 'enable', 'delete', 'set-password']) {
      const help = await run(['users', command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: gatehouse users ${command}`);
    }
    expectRefused(await run(['users', 'list', '--status', 'gone']), 2, /--status/);
    expectRefused(await run(['users', 'list', '--limit', '0']), 2, /--limit must be a whole number/);
    expectRefused(await run(['users', 'list', '--role', 'Not A Role']), 2, /--role/);
    expectRefused(await run(['users', 'disable']), 2, /--email is required/);
    expectRefused(await run(['users', 'enable', '--email', 'not an address']), 2, /not a valid email address/);
  });

  it('lists every match by following the cursor past one page, or the first --limit, as a table or JSON lines', { timeout: MANY_RUNS_MS }, async () => {
    expectOk(await run(['users', 'add', '--email', 'ada@example.test', '--password', PASSWORD, '--name', 'Ada Admin', '--role', 'admin']));
    // More than one page of the list (200), planted in one statement.
    await cli.withDatabase((database) => database.query(
      "INSERT INTO users (email, name) SELECT 'bulk' || n || '@example.test', 'Bulk Person ' || n FROM generate_series(1, 205) AS n",
    ));
    const all = jsonLines(expectOk(await run(['users', 'list', '--search', 'BULK', '--json'])));
    expect(all).toHaveLength(205);
    expect(new Set(all.map((user) => user.id)).size).toBe(205);
    expect(all[0]).toMatchObject({ email: expect.stringMatching(/^bulk\d+@example\.test$/), status: 'active', roles: [], email_verified: false });
    expect(jsonLines(expectOk(await run(['users', 'list', '--search', 'bulk', '--limit', '3', '--json'])))).toHaveLength(3);
    const admins = expectOk(await run(['users', 'list', '--role', 'admin']));
    expect(admins.stdout).toMatch(/^ID\s+EMAIL\s+NAME\s+STATUS\s+VERIFIED\s+ROLES\s+CREATED\n[0-9a-f-]{36}\s+ada@example\.test\s+Ada Admin\s+active\s+no\s+admin\s+\S+\n$/);
    expect(expectOk(await run(['users', 'list', '--status', 'disabled'])).stdout).toBe('no users match\n');
  });

  it('disables, enables, sets a password and deletes, each audited as admin-cli', { timeout: MANY_RUNS_MS }, async () => {
    const email = 'ada@example.test';
    const disabled = expectOk(await run(['users', 'disable', '--email', email]));
    expect(disabled.stdout).toMatch(/^disabled user [0-9a-f-]{36} <ada@example\.test>; 0 sessions ended, 0 grants revoked\n$/);
    expect((await userRow(email))?.status).toBe('disabled');
    expect(jsonLines(expectOk(await run(['users', 'list', '--status', 'disabled', '--json'])))).toMatchObject([{ email }]);
    expect(expectOk(await run(['users', 'disable', '--email', email, '--keep-grants'])).stdout).toContain('grants kept');
    expect(expectOk(await run(['users', 'enable', '--email', email])).stdout).toMatch(/^enabled user [0-9a-f-]{36} <ada@example\.test>\n$/);
    expect((await userRow(email))?.status).toBe('active');
    expectRefused(await run(['users', 'enable', '--email', 'nobody@example.test']), 1, /no user with email nobody@example\.test/);

    expectRefused(await run(['users', 'set-password', '--email', email]), 2, /not on a terminal, so give --password-stdin/);
    expectRefused(await run(['users', 'set-password', '--email', email, '--password-stdin'], 'short\n'), 2, /at least 12 characters/);
    const set = expectOk(await run(['users', 'set-password', '--email', email, '--password-stdin'], `${NEW_PASSWORD}\n`));
    expect(set.stdout).toMatch(/^password set for user [0-9a-f-]{36} <ada@example\.test>; 0 sessions ended\n$/);
    expect(set.stdout).not.toContain(NEW_PASSWORD);
    const hash = (await userRow(email))!.password_hash!;
    expect(await argon2.verify(hash, NEW_PASSWORD)).toBe(true);
    expect(await argon2.verify(hash, PASSWORD)).toBe(false);

    expectRefused(await run(['users', 'delete', '--email', email]), 2, /not on a terminal, so give --yes/);
    expect((await userRow(email))?.status).toBe('active');
    const { id } = (await userRow(email))!;
    expect(expectOk(await run(['users', 'delete', '--email', email, '--yes'])).stdout).toBe(`deleted user ${id} <${email}>\n`);
    expect(await userRow(email)).toBeUndefined();
    expectRefused(await run(['users', 'delete', '--email', email, '--yes']), 1, /no user with email/);

    const audit = await cli.withDatabase(async (database) => (await database.query<{ type: string; email: string | null; detail: Record<string, unknown> }>(
      'SELECT type, email, detail FROM audit_events WHERE account_id = $1 ORDER BY occurred_at, id', [id],
    )).rows);
    expect(audit.filter((row) => row.detail.by === 'admin-cli').map((row) => `${row.type} ${String(row.detail.action ?? '')}`.trim())).toEqual(expect.arrayContaining([
      'admin.user_changed disabled', 'admin.user_changed grants_revoked', 'account.reactivated', 'admin.user_changed password_set', 'account.deleted',
    ]));
    // Deleted as self-service deletion does: the account's rows keep no address.
    expect(audit.every((row) => row.email === null)).toBe(true);
  });

  it('ends a session whose id starts with "-" given as --session -ID', { timeout: MANY_RUNS_MS }, async () => {
    const email = 'dash@example.test';
    expectOk(await run(['users', 'add', '--email', email, '--password', PASSWORD]));
    const uid = '-dashSessionUid_123';
    // A session as the Session adapter stores it (payload and index entry), with a uid base64url may well produce.
    await cli.withDatabase(async (database) => {
      const { id } = (await database.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0]!;
      await database.query(
        `INSERT INTO oidc_payloads (model, id, payload, uid, expires_at)
         VALUES ('Session', 'planted-session', $1, $2, now() + interval '1 hour')`,
        [JSON.stringify({ accountId: id, uid, jti: 'planted-session', kind: 'Session', authorizations: {} }), uid],
      );
      await database.query(
        `INSERT INTO account_sessions (session_id, account_id, session_uid, expires_at) VALUES ('planted-session', $1, $2, now() + interval '1 hour')`,
        [id, uid],
      );
    });
    expect(jsonLines(expectOk(await run(['sessions', 'list', '--email', email, '--json'])))).toMatchObject([{ session: uid }]);
    expect(expectOk(await run(['sessions', 'revoke', '--email', email, '--session', uid])).stdout).toBe(`ended 1 session of <${email}>; apps signed in through them: 0\n`);
    expect(expectOk(await run(['sessions', 'list', '--email', email])).stdout).toBe(`<${email}> is not signed in anywhere\n`);
  });
});
