// `gatehouse audit` as an operator runs it: the real executable in a child process, reading rows
// seeded into a fresh DATA_DIR (or a dedicated database on the real Postgres when
// TEST_DATABASE_URL is set).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWhen } from '../../src/services/time-window.js';
import { createLogger } from '../../src/logger.js';
import { createAuditLog, type AuditEventInput } from '../../src/services/audit.js';
import type { Database } from '../../src/storage/db.js';
import { startEmbeddedPostgres } from '../../src/storage/embedded.js';
import { migrate } from '../../src/storage/migrate.js';
import { insertUser } from '../../src/storage/repositories/users.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';
import { cliEnvironment, runCli, type CliResult } from '../helpers/gatehouse-process.js';

// Each run that opens the database is a fresh process (about 2 s on PGlite).
const MANY_RUNS_MS = 120_000;
const HOUR_MS = 3_600_000;

function ok(result: CliResult): CliResult {
  expect(result.code, result.stderr).toBe(0);
  return result;
}

/** Ada's story over the last hours, someone else's sign-in, and one of Ada's rows too old for 24h. */
async function seed(database: Database): Promise<string> {
  const ada = (await insertUser(database, { email: 'ada@example.test', emailVerified: true, passwordHash: null })).id;
  const grace = (await insertUser(database, { email: 'grace@example.test', emailVerified: true, passwordHash: null })).id;
  let at = new Date();
  const audit = createAuditLog({ database, logger: createLogger('silent'), clock: () => at });
  const origin = { ip: '203.0.113.9', userAgent: 'Firefox' };
  const story: Array<[number, AuditEventInput]> = [
    [72, { type: 'login.success', outcome: 'success', accountId: ada, email: 'ada@example.test', ...origin }],
    [3, { type: 'registration', outcome: 'success', accountId: ada, email: 'ada@example.test', ...origin }],
    [2, { type: 'login.failure', outcome: 'failure', email: 'ADA@example.test', clientId: 'notebook', ...origin, detail: { reason: 'bad_credentials' } }],
    [1.5, { type: 'login.success', outcome: 'success', accountId: grace, email: 'grace@example.test', clientId: 'notebook', ...origin }],
    [1, { type: 'login.success', outcome: 'success', accountId: ada, email: 'ada@example.test', clientId: 'notebook', ...origin }],
    [0.5, { type: 'token.issued', outcome: 'success', accountId: ada, clientId: 'notebook', ip: '127.0.0.1', detail: { grantType: 'authorization_code' } }],
  ];
  for (const [hoursAgo, event] of story) {
    at = new Date(Date.now() - hoursAgo * HOUR_MS);
    await audit.record(event);
  }
  return ada;
}

describe('gatehouse audit --since and --until', () => {
  it('reads 30m, 24h, 7d and ISO dates and times (UTC unless an offset is given)', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    expect(parseWhen('30m', now)).toEqual(new Date('2026-03-10T11:30:00Z'));
    expect(parseWhen('24h', now)).toEqual(new Date('2026-03-09T12:00:00Z'));
    expect(parseWhen('7d', now)).toEqual(new Date('2026-03-03T12:00:00Z'));
    expect(parseWhen('2026-01-31', now)).toEqual(new Date('2026-01-31T00:00:00Z'));
    expect(parseWhen('2026-01-31T09:00', now)).toEqual(new Date('2026-01-31T09:00:00Z'));
    expect(parseWhen('2026-01-31 09:00:30.5', now)).toEqual(new Date('2026-01-31T09:00:30.500Z'));
    expect(parseWhen('2026-01-31T09:00+02:00', now)).toEqual(new Date('2026-01-31T07:00:00Z'));
    for (const bad of ['yesterday', '24', '-1h', '5w', '2026-13-01', '2026-02-30', '2026-01-31T25:00', '']) expect(parseWhen(bad, now), bad).toBeUndefined();
  });
});

describe.each(storageKinds)('gatehouse audit on %s', (kind) => {
  let dataDir: string;
  let env: Record<string, string>;
  let serverDatabase: TestDatabase | undefined;
  let ada: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-audit-cli-'));
    serverDatabase = kind === 'postgres' ? await createTestDatabase('postgres') : undefined;
    env = cliEnvironment(dataDir, serverDatabase ? { DATABASE_URL: serverDatabase.url! } : {});
    if (serverDatabase) {
      ada = await seed(serverDatabase.database);
      return;
    }
    // No server runs here, so the test owns the data directory until the CLI needs it.
    const embedded = await startEmbeddedPostgres({ dataDir, poolSize: 1, statementTimeoutMs: 5000, connectionTimeoutMs: 5000 });
    try {
      await migrate(embedded.database);
      ada = await seed(embedded.database);
    } finally {
      await embedded.database.close();
    }
  });
  afterAll(async () => {
    await serverDatabase?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers "what happened to this account in the last day" as a table, newest first', { timeout: MANY_RUNS_MS }, async () => {
    const result = ok(await runCli(['audit', '--email', 'Ada@Example.test', '--since', '24h'], env));
    expect(result.stderr).toBe('');
    const [header, ...rows] = result.stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/));
    expect(header).toEqual(['TIME', 'TYPE', 'OUTCOME', 'ACCOUNT', 'CLIENT', 'IP', 'DETAIL']);
    expect(rows.map((row) => row.slice(1, 6))).toEqual([
      ['token.issued', 'success', ada, 'notebook', '127.0.0.1'],
      ['login.success', 'success', ada, 'notebook', '203.0.113.9'],
      ['login.failure', 'failure', '-', 'notebook', '203.0.113.9'],
      ['registration', 'success', ada, '-', '203.0.113.9'],
    ]);
    expect(rows[2]![6]).toBe('reason=bad_credentials');
    for (const row of rows) expect(Date.parse(row[0]!)).toBeGreaterThan(Date.now() - 24 * HOUR_MS);

    const failures = ok(await runCli(['audit', '--account', ada, '--type', 'login.success', '--since', '7d'], env));
    expect(failures.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(ok(await runCli(['audit', '--email', 'nobody@example.test'], env)).stdout).toBe('no audit events\n');
  });

  it('pages with --limit, printing the next page\'s command on stderr, and writes JSON lines with --json', { timeout: MANY_RUNS_MS }, async () => {
    const first = ok(await runCli(['audit', '--email', 'ada@example.test', '--limit', '3', '--json'], env));
    const firstRows = first.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(firstRows.map((row) => row.type)).toEqual(['token.issued', 'login.success', 'login.failure']);
    expect(firstRows[2]).toMatchObject({
      outcome: 'failure', account_id: null, email: 'ADA@example.test', client_id: 'notebook', ip: '203.0.113.9', user_agent: 'Firefox',
      detail: { reason: 'bad_credentials' },
    });
    const next = /^next page: gatehouse (audit .*)\n$/.exec(first.stderr);
    expect(next, first.stderr).not.toBeNull();
    const nextArgs = next![1]!.split(' ');
    expect(nextArgs).toContain('--before');
    expect(nextArgs).toContain('--json');

    const second = ok(await runCli(nextArgs, env));
    expect(second.stderr).toBe('');
    expect(second.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(['registration']);
  });

  it('refuses bad input with one line on stderr and exit status 2, before opening the database', { timeout: MANY_RUNS_MS }, async () => {
    const refused: Array<[string[], RegExp]> = [
      [['audit', '--since', 'yesterday'], /--since "yesterday" is not a time/],
      [['audit', '--until', '2026-02-30T10:00:00Z'], /--until "2026-02-30T10:00:00Z" is not a time/],
      [['audit', '--limit', '0'], /limit must be an integer from 1 to 1000/],
      [['audit', '--limit', 'many'], /limit must be an integer/],
      [['audit', '--limit', '5000'], /limit must be an integer from 1 to 1000/],
      [['audit', '--type', 'login'], /type "login" is not an audit event type/],
      [['audit', '--account', 'ada'], /account must be a UUID/],
      [['audit', '--before', 'page-two'], /before must be a cursor/],
      [['audit', '--email'], /--email/],
      [['audit', '--bogus'], /--bogus/],
    ];
    for (const [args, reason] of refused) {
      const result = await runCli(args, env);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/^gatehouse: audit: [^\n]+\n$/);
      expect(result.stderr).toMatch(reason);
      expect(result.stdout).toBe('');
    }
    const help = ok(await runCli(['audit', '--help'], env));
    expect(help.stdout).toContain('Usage: gatehouse audit');
  });
});
