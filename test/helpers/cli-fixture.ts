// For a describe block that runs the `gatehouse` CLI as a real process on one storage kind: a
// DATA_DIR, the CLI's environment (a Postgres database of its own, or embedded storage in the
// directory), and a way for the test to read and write the database the CLI uses.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/storage/db.js';
import { startEmbeddedPostgres } from '../../src/storage/embedded.js';
import { createTestDatabase, seedEmbeddedDataDir, type StorageKind, type TestDatabase } from './database.js';
import { cliEnvironment } from './gatehouse-process.js';

export interface CliFixture {
  readonly dataDir: string;
  readonly env: Record<string, string>;
  /** Set on Postgres: the database the CLI is pointed at. */
  readonly serverDatabase: TestDatabase | undefined;
  /** Runs fn against the CLI's database; no server runs here, so the test may own DATA_DIR for a moment. */
  withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T>;
}

/**
 * `seeded`: start DATA_DIR from the test template's cluster, so the first command skips initdb
 * (seconds, far more on a loaded machine). Leave it off where a test shows a refused command
 * never created the database.
 */
export function cliFixture(kind: StorageKind, prefix: string, options: { seeded?: boolean } = {}): CliFixture {
  const state = {} as { dataDir: string; env: Record<string, string>; serverDatabase: TestDatabase | undefined };
  beforeAll(async () => {
    state.dataDir = mkdtempSync(path.join(os.tmpdir(), prefix));
    state.serverDatabase = kind === 'postgres' ? await createTestDatabase('postgres', { migrate: false }) : undefined;
    if (!state.serverDatabase && options.seeded) await seedEmbeddedDataDir(state.dataDir);
    state.env = cliEnvironment(state.dataDir, state.serverDatabase ? { DATABASE_URL: state.serverDatabase.url! } : {});
  });
  afterAll(async () => {
    await state.serverDatabase?.close();
    if (state.dataDir) rmSync(state.dataDir, { recursive: true, force: true });
  });
  return {
    get dataDir() { return state.dataDir; },
    get env() { return state.env; },
    get serverDatabase() { return state.serverDatabase; },
    async withDatabase(fn) {
      if (state.serverDatabase) return fn(state.serverDatabase.database);
      const embedded = await startEmbeddedPostgres({ dataDir: state.dataDir, poolSize: 2, statementTimeoutMs: 5000, connectionTimeoutMs: 5000 });
      try {
        return await fn(embedded.database);
      } finally {
        await embedded.database.close();
      }
    },
  };
}
