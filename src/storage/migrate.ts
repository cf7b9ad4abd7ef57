// Applies migrations/NNN_name.sql in order, each recorded in schema_migrations. All pending files run
// in one transaction under an advisory lock, so two processes starting at once never race and a
// failed migration leaves the schema as it was.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import type { Database } from './db.js';

// Any fixed 64-bit number unique to Gatehouse's migrations.
const MIGRATION_LOCK_KEY = 7_201_865_338;
const MIGRATION_FILE = /^(\d{3,})_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: string;
  name: string;
  sql: string;
}

export function readMigrations(directory = path.join(PROJECT_ROOT, 'migrations')): Migration[] {
  return readdirSync(directory)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort()
    .map((file) => ({
      version: MIGRATION_FILE.exec(file)![1]!,
      name: file,
      sql: readFileSync(path.join(directory, file), 'utf8'),
    }));
}

/** Returns the names of the migrations it applied. */
export async function migrate(database: Database, migrations = readMigrations()): Promise<string[]> {
  return database.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = new Set((await tx.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await tx.query(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      done.push(migration.name);
    }
    return done;
  });
}
