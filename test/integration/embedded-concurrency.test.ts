// The embedded database serves every pooled connection from one PGlite session. An extended-query
// exchange (Parse, Bind, Execute, Sync) from one connection must never be cut by another's: two
// statements of different shapes would bind each other's parameters, or one would read the
// other's rows. Shown with many statements of different arity in flight at once, beside
// transactions and a connection that leaves mid-exchange.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/storage/embedded.js';

describe('embedded database under concurrent connections', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-embedded-'));
  let testDatabase: EmbeddedPostgres;

  beforeAll(async () => {
    testDatabase = await startEmbeddedPostgres({
      poolSize: 10, statementTimeoutMs: 5000, connectionTimeoutMs: 5000,
      dataDir, inMemory: true, loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]),
    });
    await testDatabase.database.query('CREATE TABLE counters (name text PRIMARY KEY, value int NOT NULL)');
  });
  afterAll(async () => {
    await testDatabase?.database.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers each statement with its own parameters while others are in flight', async () => {
    const { database } = testDatabase;
    const statements = Array.from({ length: 300 }, (_, index) => {
      const arity = (index % 9) + 1;
      const params = Array.from({ length: arity }, (_, position) => index * 100 + position);
      const sql = `SELECT ${params.map((_, position) => `$${position + 1}::int`).join(' + ')} AS total, ${arity} AS arity`;
      return { sql, params, total: params.reduce((sum, value) => sum + value, 0), arity };
    });
    const answers = await Promise.all(statements.map((statement) => database.query<{ total: number; arity: number }>(statement.sql, statement.params)));
    expect(answers.map((answer) => answer.rows[0])).toEqual(statements.map(({ total, arity }) => ({ total, arity })));
  });

  it('keeps transactions whole beside plain statements', async () => {
    const { database } = testDatabase;
    await database.query("INSERT INTO counters (name, value) VALUES ('shared', 0)");
    const increments = Array.from({ length: 40 }, () => database.transaction(async (tx) => {
      const { rows } = await tx.query<{ value: number }>('SELECT value FROM counters WHERE name = $1', ['shared']);
      await tx.query('UPDATE counters SET value = $1 WHERE name = $2', [rows[0]!.value + 1, 'shared']);
    }));
    const reads = Array.from({ length: 40 }, (_, index) => database.query<{ n: number }>('SELECT $1::int AS n', [index]));
    const [, readAnswers] = await Promise.all([Promise.all(increments), Promise.all(reads)]);
    expect(readAnswers.map((answer) => answer.rows[0]!.n)).toEqual(reads.map((_, index) => index));
    const { rows } = await database.query<{ value: number }>('SELECT value FROM counters WHERE name = $1', ['shared']);
    expect(rows[0]!.value).toBe(40);
  });

  it('serves the next connection cleanly after one leaves inside a transaction', async () => {
    const { database, socketDir } = testDatabase;
    const leaver = new pg.Client({ host: socketDir, port: 5432, user: 'postgres', database: 'postgres' });
    leaver.on('error', () => undefined); // its own socket is cut below
    await leaver.connect();
    await leaver.query('BEGIN');
    await leaver.query("INSERT INTO counters (name, value) VALUES ('abandoned', 1)");
    leaver.connection.stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { rows } = await database.query<{ count: number }>("SELECT count(*)::int AS count FROM counters WHERE name = 'abandoned'");
    expect(rows[0]!.count).toBe(0);
  });
});
