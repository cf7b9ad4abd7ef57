// Registration does the same work in the request for a taken address as for a new one (ASVS 5.0
// V6.3.8), so its answer time cannot tell them apart: the same statements in the same order
// against the real database, one audit row and one queued mail each, and what only the owner
// gets (the "someone tried to register" notice) is sent by the queue worker after the answer.
// The times themselves are measured by bench/account-page-timing.ts, never asserted here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles } from '../helpers/accounts.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';
import { latestMailTo } from '../helpers/outbox.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { recordStatements, type StatementRecorder } from '../helpers/statement-recorder.js';

const PASSWORD = 'a long and memorable passphrase';
const OWNER = 'owner@example.test';
const NEWCOMER = 'newcomer@example.test';
const ORIGIN = { ip: '198.51.100.7', userAgent: 'SameWork/1.0' };
const settings = createSettingsFiles('gh-registration-work-');
afterAll(() => settings.remove());

describe.each(storageKinds)('registration work for a taken and a new address on %s', (kind) => {
  let testDatabase: TestDatabase;
  let recorder: StatementRecorder;
  let app: TestApp;

  beforeAll(async () => {
    testDatabase = await createTestDatabase(kind);
    recorder = recordStatements(testDatabase.database);
    // The worker sends only when the test runs it.
    const file = settings.file('no-poll', { mail: { queue: { pollIntervalMs: 3_600_000 } } });
    app = await startTestApp({ testDatabase: { ...testDatabase, database: recorder.database }, env: { SETTINGS_FILE: file } });
  });
  afterAll(async () => {
    await app?.close();
    await testDatabase?.close();
  });

  it('runs the same statements for a taken address as for a new one, and leaves the notice to the worker', async () => {
    const owner = await app.context.users.create({ email: OWNER, name: 'Owner', password: PASSWORD, emailVerified: true });
    const since = new Date(Date.now() - 60_000);
    const register = (email: string) => () => app.context.registration.register({ email, name: 'Someone', password: PASSWORD }, ORIGIN);

    const taken = await recorder.during(register(OWNER));
    const fresh = await recorder.during(register(NEWCOMER));
    expect(taken).toEqual(fresh);
    expect(taken).toContain('COMMIT');

    // Written in the request, in its transaction: the audit row of each attempt, and its queued mail.
    const events = (await app.context.audit.query({ type: 'registration', since, limit: 10 })).events.reverse();
    expect(events).toEqual([
      expect.objectContaining({ outcome: 'failure', accountId: owner.id, email: OWNER, ...ORIGIN, detail: { reason: 'email_taken' } }),
      expect.objectContaining({ outcome: 'success', email: NEWCOMER, ...ORIGIN, detail: {} }),
    ]);
    const jobs = await app.context.database.query('SELECT kind, email FROM account_mail_jobs ORDER BY created_at');
    expect(jobs.rows).toEqual([{ kind: 'registration_attempt', email: OWNER }, { kind: 'verification', email: NEWCOMER }]);
    expect(latestMailTo(app.config.mail.outboxDir, OWNER)).toBeUndefined();

    expect(await app.app.accountMail.runOnce()).toBe(2);
    expect(latestMailTo(app.config.mail.outboxDir, OWNER)?.subject).toBe('Someone tried to register with your email address');
    expect(latestMailTo(app.config.mail.outboxDir, NEWCOMER)?.subject).toBe('Confirm your email address');
  });
});
