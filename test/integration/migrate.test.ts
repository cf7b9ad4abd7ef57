import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/storage/migrate.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';

describe.each(storageKinds)('migrations on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(kind, { migrate: false }); });
  afterAll(async () => { await db.close(); });

  it('applies every migration exactly once even when two runs start together', async () => {
    const [first, second] = await Promise.all([migrate(db.database), migrate(db.database)]);
    const all = readMigrations().map((m) => m.name);
    expect([...first, ...second].sort()).toEqual(all.sort());
    const recorded = await db.database.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version');
    expect(recorded.rows.map((r) => r.name)).toEqual(all);
    expect(await migrate(db.database)).toEqual([]);
  });

  it('rolls a failing migration back whole', async () => {
    const broken = [{ version: '999', name: '999_broken.sql', sql: 'CREATE TABLE half_written (id int); SELECT no_such_function();' }];
    await expect(migrate(db.database, broken)).rejects.toThrow();
    const table = await db.database.query("SELECT to_regclass('half_written') AS t");
    expect(table.rows[0]).toEqual({ t: null });
    const recorded = await db.database.query("SELECT 1 FROM schema_migrations WHERE version = '999'");
    expect(recorded.rowCount).toBe(0);
  });
});
