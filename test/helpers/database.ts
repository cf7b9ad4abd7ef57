// A fresh, migrated database for one test file: embedded PGlite by default, or a database of its
// own on the real Postgres server when TEST_DATABASE_URL is set (created here, dropped on close).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createPoolDatabase, type Database } from '../../src/storage/db.js';
import { startEmbeddedPostgres } from '../../src/storage/embedded.js';
import { migrate } from '../../src/storage/migrate.js';

export type StorageKind = 'pglite' | 'postgres';

export const storageKinds: StorageKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase {
  kind: StorageKind;
  database: Database;
  /** For a real server: a connection string to this test's own database. */
  url?: string;
  close(): Promise<void>;
}

const poolSettings = { poolSize: 10, statementTimeoutMs: 5000, connectionTimeoutMs: 5000 };

export async function createTestDatabase(kind: StorageKind = 'pglite', options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const testDatabase = kind === 'postgres' ? await createServerDatabase() : await createEmbeddedDatabase();
  if (options.migrate !== false) await migrate(testDatabase.database);
  return testDatabase;
}

async function createEmbeddedDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-db-'));
  const embedded = await startEmbeddedPostgres({
    ...poolSettings,
    dataDir,
    inMemory: true,
    loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]),
  });
  return {
    kind: 'pglite',
    database: embedded.database,
    async close() {
      await embedded.database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Gives an empty DATA_DIR the template's cluster on disk, so a server started on it skips initdb,
 * which takes seconds on an idle machine and far longer on a loaded one.
 */
export async function seedEmbeddedDataDir(dataDir: string): Promise<void> {
  const embedded = await startEmbeddedPostgres({ ...poolSettings, dataDir, loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]) });
  await embedded.database.close();
}

async function createServerDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = createPoolDatabase({ ...poolSettings, connectionString: url.toString() });
  return {
    kind: 'postgres',
    database,
    url: url.toString(),
    async close() {
      await database.close();
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

/**
 * A database of its own on the real server, reached through a loopback TCP proxy so a test can
 * cut, slow or blackhole it; `database` is the pool over the proxy, with the given timeouts.
 */
export async function createProxiedServerDatabase(pool: { poolSize: number; statementTimeoutMs: number; connectionTimeoutMs: number }) {
  const { startTcpProxy } = await import('./tcp-proxy.js');
  const server = await createTestDatabase('postgres');
  const target = new URL(server.url!);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const proxied = new URL(server.url!);
  proxied.port = String(proxy.port);
  const database = createPoolDatabase({ ...pool, connectionString: proxied.toString() });
  const viaProxy: TestDatabase = { kind: 'postgres', database, close: () => database.close() };
  return { server, proxy, viaProxy };
}
