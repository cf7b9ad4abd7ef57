// A statement the server refuses, such as a taken address's unique violation, leaves its pooled
// connection in use: the next query runs on the same server process instead of waiting for a new
// connection, which would show in the answer time. A connection the server ended is replaced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe.skipIf(!process.env.TEST_DATABASE_URL)('pooled connections on postgres', () => {
  let testDatabase: TestDatabase;
  const backend = async () => (await testDatabase.database.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  beforeAll(async () => {
    testDatabase = await createTestDatabase('postgres');
    await testDatabase.database.query("INSERT INTO users (email, password_hash) VALUES ('taken@example.test', NULL)");
  });
  afterAll(async () => { await testDatabase?.close(); });

  it('keeps the connection after a refused statement', async () => {
    const before = await backend();
    const refused = testDatabase.database.query("INSERT INTO users (email, password_hash) VALUES ('TAKEN@example.test', NULL)");
    await expect(refused).rejects.toMatchObject({ code: '23505' });
    expect(await backend()).toBe(before);
  });

  it('replaces a connection whose server process ended', async () => {
    const before = await backend();
    await expect(testDatabase.database.query('SELECT pg_terminate_backend(pg_backend_pid())')).rejects.toMatchObject({ code: '57P01' });
    const after = await backend();
    expect(after).not.toBe(before);
  });
});
