import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresAdapterFactory } from '../../src/oidc/adapters/postgres.js';
import { startSweeper } from '../../src/storage/sweeper.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';

const HOUR_SECONDS = 3600;

async function countRows(db: TestDatabase, ids?: string[]): Promise<number> {
  const result = await db.database.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM oidc_payloads WHERE $1::text[] IS NULL OR id = ANY($1)',
    [ids ?? null],
  );
  return result.rows[0]!.n;
}

async function expireSeconds(db: TestDatabase, seconds: number, ids: string[]): Promise<void> {
  await db.database.query(
    "UPDATE oidc_payloads SET expires_at = now() - $1::float8 * interval '1 second' WHERE id = ANY($2)",
    [seconds, ids],
  );
}

describe.each(storageKinds)('sweeper on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(kind); });
  afterAll(async () => { await db.close(); });

  it('deletes expired rows in batches and keeps live and never-expiring ones', async () => {
    const adapter = createPostgresAdapterFactory(db.database)('AccessToken');
    const expired = Array.from({ length: 25 }, (_, i) => `expired-${i}`);
    await Promise.all(expired.map((id) => adapter.upsert(id, { jti: id }, HOUR_SECONDS)));
    await expireSeconds(db, 10, expired);
    await adapter.upsert('live', { jti: 'live' }, HOUR_SECONDS);
    await adapter.upsert('forever', { jti: 'forever' });

    const sweeper = startSweeper({ database: db.database, intervalSeconds: 3600, batchSize: 7, onError: () => undefined });
    try {
      expect(await sweeper.sweepOnce()).toBe(25);
      expect(await countRows(db)).toBe(2);
      expect(await sweeper.sweepOnce()).toBe(0);
    } finally {
      await sweeper.stop();
    }
  });

  it('joins a sweep already running instead of starting a second', async () => {
    const sweeper = startSweeper({ database: db.database, intervalSeconds: 3600, batchSize: 10, onError: () => undefined });
    const first = sweeper.sweepOnce();
    expect(sweeper.sweepOnce()).toBe(first);
    await first;
    await sweeper.stop();
  });

  it('sweeps on its timer and reports failures to onError without stopping', async () => {
    const adapter = createPostgresAdapterFactory(db.database)('Session');
    await adapter.upsert('timed', { jti: 'timed' }, HOUR_SECONDS);
    await expireSeconds(db, 10, ['timed']);
    const errors: unknown[] = [];
    let calls = 0;
    const flaky = {
      query: async <Row>(sql: string, params?: readonly unknown[]) => {
        calls += 1;
        if (calls === 1) throw new Error('connection reset');
        return db.database.query<Row>(sql, params);
      },
    };
    const sweeper = startSweeper({ database: flaky, intervalSeconds: 0.05, batchSize: 10, onError: (e) => errors.push(e) });
    try {
      await expect.poll(() => countRows(db, ['timed']), { timeout: 5_000 }).toBe(0);
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).message).toBe('connection reset');
    } finally {
      await sweeper.stop();
    }
  });

  it('stop waits for the sweep in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let finished = false;
    const slow = {
      query: async <Row>(sql: string, params?: readonly unknown[]) => {
        await gate;
        const result = await db.database.query<Row>(sql, params);
        finished = true;
        return result;
      },
    };
    const sweeper = startSweeper({ database: slow, intervalSeconds: 3600, batchSize: 10, onError: () => undefined });
    void sweeper.sweepOnce();
    const stopped = sweeper.stop();
    setTimeout(release, 50);
    await stopped;
    expect(finished).toBe(true);
  });

  it('deletes expired email verification tokens and ended rate-limit windows, keeping live ones', async () => {
    const user = await db.database.query<{ id: string }>("INSERT INTO users (email) VALUES ('sweep@example.test') RETURNING id");
    const userId = user.rows[0]!.id;
    await db.database.query(
      `INSERT INTO email_verification_tokens (user_id, email, token_hash, expires_at) VALUES
         ($1, 'sweep@example.test', 'old', now() - interval '1 minute'), ($1, 'sweep@example.test', 'live', now() + interval '1 hour')`,
      [userId],
    );
    await db.database.query(
      `INSERT INTO rate_limit_hits (key, window_start, count, expires_at) VALUES
         ('ended', now() - interval '2 hours', 3, now() - interval '1 hour'), ('current', now(), 1, now() + interval '1 hour')`,
    );
    const sweeper = startSweeper({ database: db.database, intervalSeconds: 3600, batchSize: 10, onError: () => undefined });
    try {
      expect(await sweeper.sweepOnce()).toBe(2);
      const tokens = await db.database.query<{ token_hash: string }>('SELECT token_hash FROM email_verification_tokens');
      expect(tokens.rows).toEqual([{ token_hash: 'live' }]);
      const hits = await db.database.query<{ key: string }>('SELECT key FROM rate_limit_hits');
      expect(hits.rows).toEqual([{ key: 'current' }]);
    } finally {
      await sweeper.stop();
    }
  });

  it('rejects nonsensical settings', () => {
    expect(() => startSweeper({ database: db.database, intervalSeconds: 0, batchSize: 10, onError: () => undefined })).toThrow(RangeError);
    expect(() => startSweeper({ database: db.database, intervalSeconds: 1, batchSize: 0, onError: () => undefined })).toThrow(RangeError);
  });
});
