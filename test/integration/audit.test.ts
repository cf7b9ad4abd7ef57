// The audit trail's store: recording (with its log line), paging newest first, finding by address,
// erasing an account's personal data, retention, transactions, and what it refuses to keep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { createAuditLog, type AuditDetail, type AuditEventInput } from '../../src/services/audit.js';
import { insertUser } from '../../src/storage/repositories/users.js';
import { startSweeper } from '../../src/storage/sweeper.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';

const DAY_MS = 86_400_000;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AuditTest/1.0';

describe.each(storageKinds)('audit trail on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(kind); });
  afterAll(async () => { await db?.close(); });

  function auditLog(clock?: () => Date) {
    const capture = captureLogger();
    return { audit: createAuditLog({ database: db.database, logger: capture.logger, ...(clock ? { clock } : {}) }), ...capture };
  }

  async function newAccount(email: string): Promise<string> {
    return (await insertUser(db.database, { email, emailVerified: true, passwordHash: null })).id;
  }

  async function count(accountId: string): Promise<number> {
    const result = await db.database.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1', [accountId]);
    return result.rows[0]!.n;
  }

  it('stores an event with who, from where and why, and writes one log line without the address', async () => {
    const { audit, entries } = auditLog();
    const accountId = await newAccount('ada@example.test');
    await audit.record({
      type: 'login.failure', outcome: 'failure', accountId, email: ' Ada@Example.test ', clientId: 'notebook',
      ip: '203.0.113.7', userAgent: UA, detail: { method: 'password', reason: 'bad_credentials' },
    });

    const { events, next } = await audit.query({ accountId, since: new Date(Date.now() - DAY_MS), limit: 10 });
    expect(next).toBeUndefined();
    expect(events).toEqual([expect.objectContaining({
      type: 'login.failure', outcome: 'failure', accountId, email: 'Ada@Example.test', clientId: 'notebook',
      ip: '203.0.113.7', userAgent: UA, detail: { method: 'password', reason: 'bad_credentials' },
    })]);
    expect(Math.abs(events[0]!.occurredAt.getTime() - Date.now())).toBeLessThan(60_000);

    const lines = entries();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30, msg: 'login.failure',
      audit: { type: 'login.failure', outcome: 'failure', accountId, clientId: 'notebook', ip: '203.0.113.7', detail: { reason: 'bad_credentials' } },
    });
    expect(JSON.stringify(lines)).not.toMatch(/ada@example\.test/i);
  });

  it('stores high-volume events in batches: logged at once, stored by flush() or within the window', async () => {
    const { audit, entries } = auditLog();
    const accountId = await newAccount('batch@example.test');
    for (let index = 0; index < 250; index += 1) {
      audit.recordSoon({ type: 'token.issued', outcome: 'success', accountId, clientId: 'batch-client', detail: { grantType: 'client_credentials' } });
    }
    // 200 rows fill a batch and are on their way; the rest wait for the window or a flush.
    expect(entries().filter((line) => line.msg === 'token.issued')).toHaveLength(250);
    await audit.flush();
    expect(await count(accountId)).toBe(250);
    audit.recordSoon({ type: 'token.issued', outcome: 'success', accountId, detail: {} });
    for (let attempt = 0; attempt < 50 && (await count(accountId)) < 251; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await count(accountId)).toBe(251);
  });

  it('lists newest first and pages with a cursor, without gaps or repeats, also among rows of one instant', async () => {
    const accountId = await newAccount('grace@example.test');
    const base = Date.now() - 3 * DAY_MS;
    // Three rows share one instant: the id orders them.
    const times = [0, 1000, 1000, 1000, 2000, 3000, 4000].map((offset) => new Date(base + offset));
    for (const [index, time] of times.entries()) {
      const { audit } = auditLog(() => time);
      await audit.record({ type: index % 2 === 0 ? 'token.issued' : 'login.success', outcome: 'success', accountId, detail: { index } });
    }
    const { audit } = auditLog();
    const seen: number[] = [];
    let before: string | undefined;
    let pages = 0;
    do {
      const page = await audit.query({ accountId, since: new Date(base - DAY_MS), limit: 3, before });
      seen.push(...page.events.map((event) => event.detail.index as number));
      before = page.next;
      pages += 1;
    } while (before);
    expect(pages).toBe(3);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);

    const tokens = await audit.query({ accountId, type: 'token.issued', since: new Date(base - DAY_MS), limit: 10 });
    expect(tokens.events.map((event) => event.detail.index)).toEqual([6, 4, 2, 0]);
    const window = await audit.query({ accountId, since: new Date(base + 1000), until: new Date(base + 3000), limit: 10 });
    expect(window.events.map((event) => event.detail.index)).toEqual([4, 3, 2, 1]);
    const recent = await audit.query({ accountId, since: new Date(Date.now() - DAY_MS), limit: 10 });
    expect(recent.events).toEqual([]);
  });

  it('finds by address both the rows naming it, in any case, and the rows of the account that has it now', async () => {
    const { audit } = auditLog();
    const accountId = await newAccount('Linus@Example.test');
    const other = await newAccount('margaret@example.test');
    await audit.record({ type: 'login.failure', outcome: 'failure', email: 'LINUS@example.test', detail: { reason: 'bad_credentials' } });
    await audit.record({ type: 'token.issued', outcome: 'success', accountId, clientId: 'notebook' });
    await audit.record({ type: 'login.failure', outcome: 'failure', accountId: other, email: 'margaret@example.test' });

    const { events } = await audit.query({ email: 'linus@example.TEST', since: new Date(Date.now() - DAY_MS), limit: 10 });
    expect(events.map((event) => event.type)).toEqual(['token.issued', 'login.failure']);
    const failures = await audit.query({ email: 'linus@example.test', type: 'login.failure', since: new Date(Date.now() - DAY_MS), limit: 10 });
    expect(failures.events).toHaveLength(1);
  });

  it('forgets an account: its rows stay with the account id, without address, IP or user agent', async () => {
    const { audit } = auditLog();
    const accountId = await newAccount('alan@example.test');
    const other = await newAccount('joan@example.test');
    const origin = { ip: '198.51.100.4', userAgent: UA };
    await audit.record({ type: 'registration', outcome: 'success', accountId, email: 'alan@example.test', ...origin });
    await audit.record({ type: 'login.failure', outcome: 'failure', email: 'ALAN@example.test', ...origin, detail: { reason: 'bad_credentials' } });
    await audit.record({ type: 'login.success', outcome: 'success', accountId: other, email: 'joan@example.test', ...origin });

    const ids = (await db.database.query<{ id: string }>(
      "SELECT id::text FROM audit_events WHERE account_id = $1 OR lower(email) = 'alan@example.test'", [accountId],
    )).rows.map((row) => row.id);
    expect(ids).toHaveLength(2);

    expect(await db.database.transaction((tx) => audit.forgetAccount(accountId, tx))).toBe(2);
    const rows = await db.database.query('SELECT account_id, email, ip, user_agent, type FROM audit_events WHERE id = ANY($1::bigint[]) ORDER BY id', [ids]);
    expect(rows.rows).toEqual([
      { account_id: accountId, email: null, ip: null, user_agent: null, type: 'registration' },
      { account_id: null, email: null, ip: null, user_agent: null, type: 'login.failure' },
    ]);
    const untouched = await audit.query({ accountId: other, since: new Date(Date.now() - DAY_MS), limit: 10 });
    expect(untouched.events[0]).toMatchObject({ email: 'joan@example.test', ip: '198.51.100.4', userAgent: UA });
  });

  it('lets the sweeper delete rows past the retention period, in batches, and keeps the rest', async () => {
    const accountId = await newAccount('barbara@example.test');
    const old = auditLog(() => new Date(Date.now() - 400 * DAY_MS)).audit;
    const recent = auditLog(() => new Date(Date.now() - 10 * DAY_MS)).audit;
    for (let i = 0; i < 5; i += 1) await old.record({ type: 'token.issued', outcome: 'success', accountId });
    for (let i = 0; i < 2; i += 1) await recent.record({ type: 'token.issued', outcome: 'success', accountId });

    const keepAll = startSweeper({ database: db.database, intervalSeconds: 3600, batchSize: 2, onError: () => undefined });
    await keepAll.sweepOnce();
    await keepAll.stop();
    expect(await count(accountId)).toBe(7);

    const sweeper = startSweeper({ database: db.database, intervalSeconds: 3600, batchSize: 2, auditRetentionDays: 365, onError: () => undefined });
    try {
      expect(await sweeper.sweepOnce()).toBeGreaterThanOrEqual(5);
      expect(await count(accountId)).toBe(2);
    } finally {
      await sweeper.stop();
    }
  });

  it('inside a transaction, rolls back with the change it describes; outside, logs a failed write and goes on', async () => {
    const { audit, entries } = auditLog();
    const broken: AuditEventInput = { type: 'password.reset', outcome: 'success', accountId: 'not-a-uuid', ip: '192.0.2.1' };

    await expect(db.database.transaction(async (tx) => {
      await insertUser(tx, { email: 'rolled-back@example.test', emailVerified: true, passwordHash: null });
      await audit.record(broken, tx);
    })).rejects.toThrow();
    const kept = await db.database.query("SELECT 1 FROM users WHERE email = 'rolled-back@example.test'");
    expect(kept.rowCount).toBe(0);

    const accountId = await newAccount('kept-out@example.test');
    await expect(db.database.transaction(async (tx) => {
      await audit.record({ type: 'email.verified', outcome: 'success', accountId }, tx);
      throw new Error('the change failed after the event was written');
    })).rejects.toThrow('the change failed');
    expect(await count(accountId)).toBe(0);

    await expect(audit.record(broken)).resolves.toBeUndefined();
    const failure = entries().find((entry) => entry.msg === 'audit event not stored');
    expect(failure).toMatchObject({ level: 50, audit: { type: 'password.reset', ip: '192.0.2.1' } });
  });

  it('refuses detail keys that name a credential, at compile time and at run time, and keeps only short scalars', async () => {
    const { audit, lines } = auditLog();
    const accountId = await newAccount('katherine@example.test');
    // @ts-expect-error a key naming a password does not compile
    await audit.record({ type: 'login.failure', outcome: 'failure', accountId, detail: { password: 'hunter2-hunter2' } });
    // @ts-expect-error nor one naming a token, in any case
    await audit.record({ type: 'token.issued', outcome: 'success', accountId, detail: { refreshToken: 'rt-value-123456' } });
    const smuggled = {
      ok: 'fine', accessToken: 'at-value-123456', clientSecret: 'cs-value-123456', authCode: 'code-value-1234', sessionCookie: 'ck-value-123456',
      nested: { deep: 'value' }, long: 'x'.repeat(500), count: 3, flag: true, nothing: null, notANumber: Number.NaN,
    } as unknown as AuditDetail;
    await audit.record({ type: 'token.issued', outcome: 'success', accountId, detail: smuggled });

    const { events } = await audit.query({ accountId, since: new Date(Date.now() - DAY_MS), limit: 10 });
    expect(events.map((event) => event.detail)).toEqual([
      { ok: 'fine', long: 'x'.repeat(200), count: 3, flag: true, nothing: null },
      {},
      {},
    ]);
    const everything = JSON.stringify(await db.database.query('SELECT * FROM audit_events')) + lines.join('');
    for (const secret of ['hunter2-hunter2', 'rt-value-123456', 'at-value-123456', 'cs-value-123456', 'code-value-1234', 'ck-value-123456']) {
      expect(everything).not.toContain(secret);
    }
    expect(lines.join('')).toContain('"droppedKeys":["accessToken","clientSecret","authCode","sessionCookie","nested","notANumber"]');
  });

  it('refuses a bad query with one ValidationError naming every problem', async () => {
    const { audit } = auditLog();
    const bad = audit.query({ accountId: 'nope', since: new Date(Number.NaN), limit: 0, before: 'garbage' });
    await expect(bad).rejects.toThrow(ValidationError);
    await expect(bad).rejects.toThrow(/limit must be an integer from 1 to 1000; since must be a valid time; account must be a UUID; before must be a cursor/);
  });
});
