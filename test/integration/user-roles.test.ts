// Roles on accounts against a real database (PGlite, and Postgres when TEST_DATABASE_URL is set):
// the repository and the user service (roles given at creation, add and remove in one transaction,
// bad names refused by the schema and by the table's CHECK, rows gone with the account), and
// `gatehouse users add --role` and `gatehouse users roles` run as an operator runs them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { composeServices } from '../../src/compose.js';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { ADMIN_ROLE, roleSchema, type UserService } from '../../src/services/users.js';
import type { Database } from '../../src/storage/db.js';
import { addUserRoles, listUserRoles, removeUserRoles } from '../../src/storage/repositories/user-roles.js';
import { deleteUser } from '../../src/storage/repositories/users.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';
import { cliFixture } from '../helpers/cli-fixture.js';
import { runCli, type CliResult } from '../helpers/gatehouse-process.js';
import { createTestSecrets } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
// Each run that opens the database is a fresh process (about 2 s on PGlite).
const MANY_RUNS_MS = 300_000;
const BAD_ROLES = ['Admin', '', ' admin', 'admin ', 'admin\n', '9lives', '-admin', 'ad min', 'ad.min', 'a'.repeat(41), 'rôle'];

async function rolesRowsOf(database: Database, userId: string): Promise<number> {
  return (await database.query('SELECT 1 FROM user_roles WHERE user_id = $1', [userId])).rowCount;
}

describe('roleSchema', () => {
  it('takes a lowercase letter then up to 39 lowercase letters, digits, "_" or "-", and names what it refuses', () => {
    for (const good of ['admin', 'a', 'support-team', 'tier_2', `a${'b'.repeat(39)}`]) expect(roleSchema.safeParse(good).success, good).toBe(true);
    for (const bad of BAD_ROLES) expect(roleSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    expect(roleSchema.safeParse('Admin').error?.issues[0]?.message).toBe('"Admin" is not a role name: use a lowercase letter, then up to 39 lowercase letters, digits, "_" or "-"');
    expect(ADMIN_ROLE).toBe('admin');
  });
});

describe.each(storageKinds)('roles on %s', (kind) => {
  let db: TestDatabase;
  let users: UserService;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const secrets = createTestSecrets();
    const config = loadConfig({ env: { NODE_ENV: 'test', ENCRYPTION_KEY: secrets.encryptionKey, COOKIE_SECRETS: secrets.cookieSecrets, LOG_LEVEL: 'silent' } });
    users = (await composeServices(config, { database: db.database }, createLogger('silent'))).users;
  });
  afterAll(async () => { await db?.close(); });

  const nextEmail = (name: string) => `${name}.${(n += 1)}@example.test`;

  it('creates an account with its roles, each once, and lists them sorted', async () => {
    const user = await users.create({ email: nextEmail('ada'), password: PASSWORD, roles: ['support', 'admin', 'support', 'auditor'] });
    expect(await users.rolesOf(user.id)).toEqual(['admin', 'auditor', 'support']);
    const plain = await users.create({ email: nextEmail('bob'), password: PASSWORD });
    expect(await users.rolesOf(plain.id)).toEqual([]);
    expect(await users.rolesOf('00000000-0000-4000-8000-000000000000')).toEqual([]);
    expect(await users.rolesOf('not-a-uuid')).toEqual([]);
  });

  it('refuses a bad role name at creation and writes no account', async () => {
    const email = nextEmail('bad');
    await expect(users.create({ email, password: PASSWORD, roles: ['admin', 'Admin'] })).rejects.toThrow(ValidationError);
    await expect(users.create({ email, password: PASSWORD, roles: ['Admin'] })).rejects.toThrow(/"Admin" is not a role name/);
    expect(await users.findByEmail(email)).toBeUndefined();
  });

  it('inserts the account and its roles in one transaction: a refused role leaves no account', async () => {
    // Past the schema (insert takes a prepared account), so only the table's CHECK stops the role.
    const email = nextEmail('half');
    const prepared = await users.prepare({ email, password: PASSWORD });
    await expect(users.insert({ ...prepared, roles: ['admin', 'Not A Role'] })).rejects.toThrow();
    expect(await users.findByEmail(email)).toBeUndefined();
    // Inside a caller's transaction both go with it.
    await expect(db.database.transaction(async (tx) => {
      await users.insert({ ...prepared, roles: ['admin'] }, tx);
      throw new Error('the caller gives up');
    })).rejects.toThrow('the caller gives up');
    expect(await users.findByEmail(email)).toBeUndefined();
    const user = await users.insert({ ...prepared, roles: ['admin'] });
    expect(await users.rolesOf(user.id)).toEqual(['admin']);
  });

  it('adds and removes, reporting only what changed', async () => {
    const user = await users.create({ email: nextEmail('carol'), password: PASSWORD, roles: ['support'] });
    const first = await users.changeRoles(user.email.toUpperCase(), { add: ['admin', 'support', 'admin'], remove: ['ghost'] });
    expect(first).toMatchObject({ user: { id: user.id, email: user.email }, roles: ['admin', 'support'], added: ['admin'], removed: [] });
    const second = await users.changeRoles(user.email, { add: ['auditor'], remove: ['support', 'admin'] });
    expect(second).toMatchObject({ roles: ['auditor'], added: ['auditor'], removed: ['admin', 'support'] });
    const none = await users.changeRoles(user.email, { add: ['auditor'], remove: ['support'] });
    expect(none).toMatchObject({ roles: ['auditor'], added: [], removed: [] });
    expect(await users.rolesOf(user.id)).toEqual(['auditor']);
  });

  it('runs a change in one transaction: when the add fails, the removal is undone', async () => {
    const user = await users.create({ email: nextEmail('dave'), password: PASSWORD, roles: ['admin'] });
    // A trigger refusing one role stands in for a storage fault between the removal and the add.
    await db.database.query(`CREATE FUNCTION refuse_role() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'role refused by the test'; END $$`);
    await db.database.query(`CREATE TRIGGER refuse_role BEFORE INSERT ON user_roles FOR EACH ROW WHEN (NEW.role = 'refused') EXECUTE FUNCTION refuse_role()`);
    try {
      await expect(users.changeRoles(user.email, { add: ['refused'], remove: ['admin'] })).rejects.toThrow(/role refused by the test/);
      expect(await users.rolesOf(user.id)).toEqual(['admin']);
    } finally {
      await db.database.query('DROP TRIGGER refuse_role ON user_roles');
      await db.database.query('DROP FUNCTION refuse_role()');
    }
  });

  it('refuses bad names, a role both added and removed, and an unknown address, changing nothing', async () => {
    const user = await users.create({ email: nextEmail('erin'), password: PASSWORD, roles: ['admin'] });
    for (const bad of BAD_ROLES) {
      await expect(users.changeRoles(user.email, { add: [bad], remove: [] }), JSON.stringify(bad)).rejects.toThrow(ValidationError);
      await expect(users.changeRoles(user.email, { add: [], remove: [bad] }), JSON.stringify(bad)).rejects.toThrow(ValidationError);
    }
    await expect(users.changeRoles(user.email, { add: ['support', 'Admin'], remove: ['admin'] })).rejects.toThrow(ValidationError);
    await expect(users.changeRoles(user.email, { add: ['admin'], remove: ['admin'] })).rejects.toThrow('role "admin" cannot be both added and removed');
    await expect(users.changeRoles('nobody@example.test', { add: ['admin'], remove: [] })).rejects.toThrow(NotFoundError);
    await expect(users.changeRoles('not an address', { add: ['admin'], remove: [] })).rejects.toThrow(NotFoundError);
    expect(await users.rolesOf(user.id)).toEqual(['admin']);
  });

  it('has the table refuse a bad name from any writer, and the repository take a caller\'s transaction', async () => {
    const user = await users.create({ email: nextEmail('fay'), password: PASSWORD });
    await expect(addUserRoles(db.database, user.id, ['Admin'])).rejects.toThrow();
    await expect(addUserRoles(db.database, user.id, ['a'.repeat(41)])).rejects.toThrow();
    await expect(db.database.transaction(async (tx) => {
      expect(await addUserRoles(tx, user.id, ['support', 'admin'])).toEqual(['admin', 'support']);
      expect(await removeUserRoles(tx, user.id, ['support'])).toEqual(['support']);
      expect(await listUserRoles(tx, user.id)).toEqual(['admin']);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await listUserRoles(db.database, user.id)).toEqual([]);
    expect(await addUserRoles(db.database, user.id, ['admin', 'admin'])).toEqual(['admin']);
    expect(await addUserRoles(db.database, user.id, ['admin', 'support'])).toEqual(['support']);
    expect(await removeUserRoles(db.database, user.id, ['ghost', 'admin'])).toEqual(['admin']);
  });

  it('removes the roles with the account', async () => {
    const user = await users.create({ email: nextEmail('gone'), password: PASSWORD, roles: ['admin', 'support'] });
    expect(await rolesRowsOf(db.database, user.id)).toBe(2);
    expect(await deleteUser(db.database, user.id)).toBe(true);
    expect(await rolesRowsOf(db.database, user.id)).toBe(0);
  });
});

describe.each(storageKinds)('gatehouse users add --role and users roles on %s', (kind) => {
  const cli = cliFixture(kind, 'gh-roles-cli-');

  function ok(result: CliResult): string {
    expect(result.stderr, result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  }

  async function roleEvents(): Promise<Array<{ email: string; detail: Record<string, unknown> }>> {
    return cli.withDatabase(async (database) => (await database.query<{ email: string; detail: Record<string, unknown> }>(
      "SELECT email, detail FROM audit_events WHERE type = 'admin.user_changed' ORDER BY id",
    )).rows);
  }

  it('refuses bad role names and a missing address before the database is opened', { timeout: MANY_RUNS_MS }, async () => {
    const refused: Array<[string[], RegExp]> = [
      [['users', 'add', '--email', 'eve@example.com', '--password', PASSWORD, '--role', 'Admin'], /^gatehouse: users add: "Admin" is not a role name: /],
      [['users', 'add', '--email', 'eve@example.com', '--password', PASSWORD, '--role', 'admin', '--role', 'ad min'], /^gatehouse: users add: "ad min" is not a role name/],
      [['users', 'add', '--email', 'eve@example.com', '--password', PASSWORD, '--role'], /^gatehouse: users add: Option '--role <value>' argument missing/],
      [['users', 'roles', '--add', 'admin'], /^gatehouse: users roles: --email is required/],
      [['users', 'roles', '--email', 'not-an-email'], /^gatehouse: users roles: --email "not-an-email" is not a valid email address/],
      [['users', 'roles', '--email', 'eve@example.com', '--add', 'Admin'], /^gatehouse: users roles: "Admin" is not a role name/],
      [['users', 'roles', '--email', 'eve@example.com', '--remove', '9lives'], /^gatehouse: users roles: "9lives" is not a role name/],
      [['users', 'roles', '--email', 'eve@example.com', '--add', 'admin', '--remove', 'admin'], /^gatehouse: users roles: role "admin" cannot be both added and removed\n$/],
      [['users', 'roles', '--email', 'eve@example.com', '--role', 'admin'], /^gatehouse: users roles: Unknown option '--role'/],
    ];
    for (const [args, message] of refused) {
      const result = await runCli(args, cli.env);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/^gatehouse: [^\n]+\n$/);
      expect(result.stdout).toBe('');
    }
    // Nothing was opened: the embedded database was never even created.
    if (!cli.serverDatabase) expect(existsSync(path.join(cli.dataDir, 'pgdata'))).toBe(false);
  });

  it('documents --role and users roles in --help', { timeout: MANY_RUNS_MS }, async () => {
    expect(ok(await runCli(['users', 'add', '--help'], cli.env))).toContain('--role R');
    const help = ok(await runCli(['users', 'roles', '--help'], cli.env));
    expect(help).toMatch(/^Usage: gatehouse users roles --email E \[--add R \.\.\.\] \[--remove R \.\.\.\]\n/);
    expect(help).toContain('--remove R');
    expect(ok(await runCli(['users', '--help'], cli.env))).toMatch(/users roles +show, grant or take away a user's roles/);
  });

  it('grants roles at creation, prints, adds and removes them, and audits each change', { timeout: MANY_RUNS_MS }, async () => {
    const added = ok(await runCli(['users', 'add', '--email', 'ada@example.com', '--password', PASSWORD, '--role', 'support', '--role', 'admin', '--role', 'support'], cli.env));
    expect(added).toMatch(/^created user [0-9a-f-]{36} <ada@example.com>; roles: admin, support\n$/);
    expect(ok(await runCli(['users', 'add', '--email', 'bob@example.com', '--password', PASSWORD], cli.env))).toMatch(/^created user [0-9a-f-]{36} <bob@example.com>\n$/);
    const ids = await cli.withDatabase(async (database) => (await database.query<{ email: string; id: string }>('SELECT email, id FROM users')).rows);
    const adaId = ids.find((row) => row.email === 'ada@example.com')!.id;
    expect(await cli.withDatabase((database) => listUserRoles(database, adaId))).toEqual(['admin', 'support']);

    expect(ok(await runCli(['users', 'roles', '--email', 'ada@example.com'], cli.env))).toBe('roles of <ada@example.com>: admin, support\n');
    expect(ok(await runCli(['users', 'roles', '--email', 'bob@example.com'], cli.env))).toBe('<bob@example.com> has no roles\n');

    const changed = ok(await runCli(['users', 'roles', '--email', 'ADA@example.com', '--add', 'auditor', '--add', 'admin', '--remove', 'support', '--remove', 'ghost'], cli.env));
    expect(changed).toBe('roles of <ada@example.com>: admin, auditor\n');
    expect(ok(await runCli(['users', 'roles', '--email', 'ada@example.com', '--remove', 'admin', '--remove', 'auditor'], cli.env))).toBe('<ada@example.com> has no roles\n');
    // Nothing to change: no audit event.
    expect(ok(await runCli(['users', 'roles', '--email', 'ada@example.com', '--remove', 'admin'], cli.env))).toBe('<ada@example.com> has no roles\n');

    expect(await roleEvents()).toEqual([
      { email: 'ada@example.com', detail: { action: 'created', by: 'admin-cli', roles: 'admin,support' } },
      { email: 'bob@example.com', detail: { action: 'created', by: 'admin-cli' } },
      { email: 'ada@example.com', detail: { action: 'roles_changed', added: 'auditor', removed: 'support', by: 'admin-cli' } },
      { email: 'ada@example.com', detail: { action: 'roles_changed', added: '', removed: 'admin,auditor', by: 'admin-cli' } },
    ]);

    const unknown = await runCli(['users', 'roles', '--email', 'nobody@example.com', '--add', 'admin'], cli.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('gatehouse: no user with email nobody@example.com\n');
    const unknownPrint = await runCli(['users', 'roles', '--email', 'nobody@example.com'], cli.env);
    expect(unknownPrint.code).toBe(1);
    expect(unknownPrint.stderr).toBe('gatehouse: no user with email nobody@example.com\n');
  });
});
