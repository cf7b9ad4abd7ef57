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
    // rate_limits.expire is epoch milliseconds (rate-limiter-flexible's layout).
    await db.database.query(
      'INSERT INTO rate_limits (key, points, expire) VALUES ($1, 3, $2), ($3, 1, $4)',
      ['ended', Date.now() - 3_600_000, 'current', Date.now() + 3_600_000],
    );
    const sweeper = startSweeper({ database: db.database, intervalSeconds: 3600, batchSize: 10, onError: () => undefined });
    try {
      expect(await sweeper.sweepOnce()).toBe(2);
      const tokens = await db.database.query<{ token_hash: string }>('SELECT token_hash FROM email_verification_tokens');
      expect(tokens.rows).toEqual([{ token_hash: 'live' }]);
      const hits = await db.database.query<{ key: string }>('SELECT key FROM rate_limits');
      expect(hits.rows).toEqual([{ key: 'current' }]);
    } finally {
      await sweeper.stop();
    }
  });

  it('deletes expired session index entries, invitations (to register and into organisations), unlock and "this wasn\'t me" links, and forgotten source locks, keeping live ones', async () => {
    const user = await db.database.query<{ id: string }>("INSERT INTO users (email) VALUES ('sweep2@example.test') RETURNING id");
    const userId = user.rows[0]!.id;
    const past = "now() - interval '1 minute'";
    const future = "now() + interval '1 hour'";
    await db.database.query(`INSERT INTO account_sessions (session_id, account_id, session_uid, expires_at) VALUES
      ('old-session', $1, 'u1', ${past}), ('live-session', $1, 'u2', ${future})`, [userId]);
    await db.database.query(`INSERT INTO invitations (email, token_hash, expires_at) VALUES
      ('a@example.test', 'old-invitation', ${past}), ('b@example.test', 'live-invitation', ${future})`);
    for (const table of ['unlock_tokens', 'sign_in_alert_tokens']) {
      await db.database.query(`INSERT INTO ${table} (user_id, token_hash, expires_at) VALUES ($1, 'old', ${past}), ($1, 'live', ${future})`, [userId]);
    }
    await db.database.query(`INSERT INTO source_lockouts (user_id, source_id, expires_at) VALUES
      ($1, 'ip:203.0.113.1', ${past}), ($1, 'ip:203.0.113.2', ${future})`, [userId]);
    const organisation = await db.database.query<{ id: string }>("INSERT INTO organisations (slug, name) VALUES ('sweep', 'Sweep') RETURNING id");
    await db.database.query(`INSERT INTO organisation_invitations (organisation_id, email, token_hash, expires_at) VALUES
      ($1, 'a@example.test', 'old-org-invitation', ${past}), ($1, 'b@example.test', 'live-org-invitation', ${future})`, [organisation.rows[0]!.id]);
    const sweeper = startSweeper({ database: db.database, intervalSeconds: 3600, batchSize: 10, onError: () => undefined });
    try {
      await sweeper.sweepOnce();
      expect((await db.database.query('SELECT session_id FROM account_sessions')).rows).toEqual([{ session_id: 'live-session' }]);
      expect((await db.database.query('SELECT token_hash FROM invitations')).rows).toEqual([{ token_hash: 'live-invitation' }]);
      expect((await db.database.query('SELECT token_hash FROM organisation_invitations')).rows).toEqual([{ token_hash: 'live-org-invitation' }]);
      for (const table of ['unlock_tokens', 'sign_in_alert_tokens']) {
        expect((await db.database.query(`SELECT token_hash FROM ${table}`)).rows).toEqual([{ token_hash: 'live' }]);
      }
      expect((await db.database.query('SELECT source_id FROM source_lockouts')).rows).toEqual([{ source_id: 'ip:203.0.113.2' }]);
    } finally {
      await sweeper.stop();
    }
  });

  it('rejects nonsensical settings', () => {
    expect(() => startSweeper({ database: db.database, intervalSeconds: 0, batchSize: 10, onError: () => undefined })).toThrow(RangeError);
    expect(() => startSweeper({ database: db.database, intervalSeconds: 1, batchSize: 0, onError: () => undefined })).toThrow(RangeError);
  });
});
