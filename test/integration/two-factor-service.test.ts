// The two-factor and trusted-device services against a real database (PGlite, and Postgres when
// TEST_DATABASE_URL is set), with codes computed here as an authenticator app would, and the
// `gatehouse users reset-2fa` command run as an operator runs it.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import { createBackupCodeHasher } from '../../src/services/backup-codes.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { createTotp } from '../../src/services/totp.js';
import { createTrustedDeviceService } from '../../src/services/trusted-devices.js';
import { createTwoFactorService, type TwoFactorSettings } from '../../src/services/two-factor.js';
import type { Database } from '../../src/storage/db.js';
import { insertUser } from '../../src/storage/repositories/users.js';
import { startSweeper } from '../../src/storage/sweeper.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';
import { cliFixture } from '../helpers/cli-fixture.js';
import { runCli } from '../helpers/gatehouse-process.js';
import { STEP_MS, totpCode } from '../helpers/totp.js';

const LOCKOUT_SECONDS = 900;
const settings: TwoFactorSettings = {
  issuerLabel: 'Gatehouse Test',
  maxFailures: 5,
  lockoutSeconds: LOCKOUT_SECONDS,
  trustedDeviceDays: 30,
  policy: { mode: 'optional', requiredForRoles: [], requiredForClients: [] },
};
const TWO_FACTOR_TABLES = ['totp_credentials', 'backup_codes', 'trusted_devices', 'second_factor_failures'];

function servicesOver(database: Database, encryptionKey: string, clock: () => number) {
  const secretBox = createSecretBox(encryptionKey);
  const twoFactor = createTwoFactorService({
    database, secretBox, totp: createTotp(), hashBackupCode: createBackupCodeHasher(encryptionKey), clock, settings,
  });
  return { secretBox, twoFactor, trustedDevices: createTrustedDeviceService({ database, ttlDays: settings.trustedDeviceDays }) };
}

async function rowsOf(database: Database, userId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TWO_FACTOR_TABLES) {
    counts[table] = (await database.query(`SELECT 1 FROM ${table} WHERE user_id = $1`, [userId])).rowCount;
  }
  return counts;
}

/** Enrols the user and returns the secret and the backup codes; the clock moves past the confirming code's step. */
async function enrol(twoFactor: ReturnType<typeof servicesOver>['twoFactor'], userId: string, clock: { nowMs: number }) {
  const enrolment = await twoFactor.beginEnrolment(userId, `${userId}@example.com`);
  const secret = enrolment.secretText.replace(/ /g, '');
  const confirmed = await twoFactor.confirmEnrolment(userId, totpCode(secret, clock.nowMs));
  if (!confirmed.ok) throw new Error(`enrolment not confirmed: ${confirmed.reason}`);
  clock.nowMs += STEP_MS;
  return { secret, backupCodes: confirmed.backupCodes };
}

describe.each(storageKinds)('two-factor services on %s', (kind) => {
  let db: TestDatabase;
  const encryptionKey = randomBytes(32).toString('base64url');
  const clock = { nowMs: Date.now() };
  let services: ReturnType<typeof servicesOver>;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    services = servicesOver(db.database, encryptionKey, () => clock.nowMs);
  });
  afterAll(async () => { await db?.close(); });
  beforeEach(async () => {
    clock.nowMs = Date.now();
    userId = (await insertUser(db.database, { email: `${randomUUID()}@example.com`, emailVerified: true, passwordHash: null })).id;
  });

  it('keeps a new authenticator unconfirmed until a valid code, then issues ten backup codes once', async () => {
    const { twoFactor } = services;
    const first = await twoFactor.beginEnrolment(userId, 'ada@example.com');
    const second = await twoFactor.beginEnrolment(userId, 'ada@example.com');
    const secret = second.secretText.replace(/ /g, '');
    expect(second.secretText).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(second.otpauthUri).toContain(`secret=${secret}`);
    expect(second.otpauthUri).toMatch(/^otpauth:\/\/totp\/Gatehouse%20Test:ada%40example\.com\?/);
    expect(second.qrSvg).toMatch(/^<svg /);
    expect(await twoFactor.status(userId)).toEqual({ enrolled: false, backupCodesLeft: 0, trustedDevices: 0 });

    // Not yet a second factor, and the replaced secret no longer confirms anything.
    expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, clock.nowMs))).toEqual({ ok: false, reason: 'invalid' });
    expect(await twoFactor.confirmEnrolment(userId, totpCode(first.secretText.replace(/ /g, ''), clock.nowMs))).toEqual({ ok: false, reason: 'invalid' });
    expect(await twoFactor.confirmEnrolment(userId, '000000x')).toEqual({ ok: false, reason: 'invalid' });

    const confirmed = await twoFactor.confirmEnrolment(userId, totpCode(secret, clock.nowMs));
    expect(confirmed.ok).toBe(true);
    const codes = confirmed.ok ? confirmed.backupCodes : [];
    expect(codes).toHaveLength(10);
    expect(await twoFactor.status(userId)).toEqual({ enrolled: true, backupCodesLeft: 10, trustedDevices: 0 });
    // The confirming code cannot sign in, and a confirmed authenticator is never replaced.
    expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, clock.nowMs))).toEqual({ ok: false, reason: 'replayed' });
    expect(await twoFactor.confirmEnrolment(userId, totpCode(secret, clock.nowMs + STEP_MS))).toEqual({ ok: false, reason: 'not-pending' });
    await expect(twoFactor.beginEnrolment(userId, 'ada@example.com')).rejects.toThrow(ConflictError);
    expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, clock.nowMs + STEP_MS))).toEqual({ ok: true, method: 'otp' });
  });

  it('shows a recent unconfirmed secret again, and a new one once it is half an hour old', async () => {
    const { twoFactor } = services;
    const begun = await twoFactor.beginEnrolment(userId, 'ada@example.com');
    expect((await twoFactor.currentEnrolment(userId, 'ada@example.com')).secretText).toBe(begun.secretText);
    await db.database.query("UPDATE totp_credentials SET created_at = now() - interval '31 minutes' WHERE user_id = $1", [userId]);
    const replaced = await twoFactor.currentEnrolment(userId, 'ada@example.com');
    expect(replaced.secretText).not.toBe(begun.secretText);
    expect((await twoFactor.currentEnrolment(userId, 'ada@example.com')).secretText).toBe(replaced.secretText);
    expect(await twoFactor.confirmEnrolment(userId, totpCode(begun.secretText, clock.nowMs))).toEqual({ ok: false, reason: 'invalid' });
    expect((await twoFactor.confirmEnrolment(userId, totpCode(replaced.secretText, clock.nowMs))).ok).toBe(true);
    await expect(twoFactor.currentEnrolment(userId, 'ada@example.com')).rejects.toThrow(ConflictError);
  });

  it('keeps the secret encrypted and the backup codes hashed at rest', async () => {
    const { secret, backupCodes } = await enrol(services.twoFactor, userId, clock);
    const stored = JSON.stringify((await db.database.query('SELECT * FROM totp_credentials WHERE user_id = $1', [userId])).rows);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.toLowerCase());
    const sealed = (await db.database.query<{ secret_encrypted: string }>('SELECT secret_encrypted FROM totp_credentials WHERE user_id = $1', [userId])).rows[0]!;
    expect(services.secretBox.decrypt(sealed.secret_encrypted)).toBe(secret);
    const codeRows = JSON.stringify((await db.database.query('SELECT * FROM backup_codes WHERE user_id = $1', [userId])).rows);
    for (const code of backupCodes) {
      expect(codeRows).not.toContain(code);
      expect(codeRows).not.toContain(code.replace(/-/g, ''));
    }
  });

  it('accepts one step of clock skew either way and refuses two', async () => {
    const { twoFactor } = services;
    const { secret } = await enrol(twoFactor, userId, clock);
    // The confirming code used the step two before now, so the step before now is still unused.
    clock.nowMs += STEP_MS;
    const now = clock.nowMs;
    expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, now - 2 * STEP_MS))).toEqual({ ok: false, reason: 'invalid' });
    expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, now + 2 * STEP_MS))).toEqual({ ok: false, reason: 'invalid' });
    for (const skew of [-1, 0, 1]) {
      expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, now + skew * STEP_MS))).toEqual({ ok: true, method: 'otp' });
    }
  });

  it('refuses a code already used, and any code older than the last one used', async () => {
    const { twoFactor } = services;
    const { secret } = await enrol(twoFactor, userId, clock);
    const current = totpCode(secret, clock.nowMs);
    expect(await twoFactor.verifySecondFactor(userId, current)).toEqual({ ok: true, method: 'otp' });
    expect(await twoFactor.verifySecondFactor(userId, current)).toEqual({ ok: false, reason: 'replayed' });
    expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, clock.nowMs - STEP_MS))).toEqual({ ok: false, reason: 'replayed' });
    clock.nowMs += STEP_MS;
    expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, clock.nowMs))).toEqual({ ok: true, method: 'otp' });
  });

  it('lets exactly one of parallel submissions of the same code through', async () => {
    const { twoFactor } = services;
    const { secret } = await enrol(twoFactor, userId, clock);
    const code = totpCode(secret, clock.nowMs);
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => twoFactor.verifySecondFactor(userId, code)));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    expect(outcomes.filter((outcome) => !outcome.ok && outcome.reason === 'replayed')).toHaveLength(3);
  });

  it('accepts each backup code once, however it is typed, also when sent in parallel', async () => {
    const { twoFactor } = services;
    const { backupCodes } = await enrol(twoFactor, userId, clock);
    const [first, second] = backupCodes as [string, string];
    const parallel = await Promise.all(Array.from({ length: 4 }, () => twoFactor.verifySecondFactor(userId, first)));
    expect(parallel.filter((outcome) => outcome.ok)).toEqual([{ ok: true, method: 'backup' }]);
    expect(await twoFactor.verifySecondFactor(userId, ` ${second.toUpperCase().replace(/-/g, ' ')} `)).toEqual({ ok: true, method: 'backup' });
    expect(await twoFactor.verifySecondFactor(userId, second)).toEqual({ ok: false, reason: 'invalid' });
    expect((await twoFactor.status(userId)).backupCodesLeft).toBe(8);

    // Another person's code is no use here.
    const otherId = (await insertUser(db.database, { email: `${randomUUID()}@example.com`, emailVerified: true, passwordHash: null })).id;
    const other = await enrol(twoFactor, otherId, clock);
    expect(await twoFactor.verifySecondFactor(userId, other.backupCodes[0]!)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('locks second-factor attempts after five failures in a row; a success resets the count', async () => {
    const { twoFactor } = services;
    const { secret, backupCodes } = await enrol(twoFactor, userId, clock);
    const wrong = totpCode(secret, clock.nowMs - 5 * STEP_MS);
    for (let i = 0; i < 4; i += 1) expect(await twoFactor.verifySecondFactor(userId, wrong)).toEqual({ ok: false, reason: 'invalid' });
    expect(await twoFactor.verifySecondFactor(userId, backupCodes[0]!)).toEqual({ ok: true, method: 'backup' });
    for (let i = 0; i < 4; i += 1) expect(await twoFactor.verifySecondFactor(userId, wrong)).toEqual({ ok: false, reason: 'invalid' });

    const before = Date.now();
    const locked = await twoFactor.verifySecondFactor(userId, 'nonsense');
    expect(locked).toMatchObject({ ok: false, reason: 'locked' });
    const lockedUntil = (locked as { lockedUntil: Date }).lockedUntil.getTime();
    expect(lockedUntil).toBeGreaterThan(before + (LOCKOUT_SECONDS - 60) * 1000);
    expect(lockedUntil).toBeLessThan(Date.now() + (LOCKOUT_SECONDS + 60) * 1000);
    // While locked even a right code is refused, and is not spent.
    expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, clock.nowMs))).toMatchObject({ ok: false, reason: 'locked' });
    expect(await twoFactor.verifySecondFactor(userId, backupCodes[1]!)).toMatchObject({ ok: false, reason: 'locked' });
    expect((await twoFactor.status(userId)).backupCodesLeft).toBe(9);

    await db.database.query("UPDATE second_factor_failures SET locked_until = now() - interval '1 second' WHERE user_id = $1", [userId]);
    expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, clock.nowMs))).toEqual({ ok: true, method: 'otp' });
    expect(await rowsOf(db.database, userId)).toMatchObject({ second_factor_failures: 0 });
  });

  it('numbers parallel guesses: only maxFailures of a burst are ever checked', async () => {
    const { twoFactor } = services;
    const { secret } = await enrol(twoFactor, userId, clock);
    const wrong = totpCode(secret, clock.nowMs - 5 * STEP_MS);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => twoFactor.verifySecondFactor(userId, wrong)));
    expect(outcomes.filter((outcome) => !outcome.ok && outcome.reason === 'invalid')).toHaveLength(4);
    expect(outcomes.filter((outcome) => !outcome.ok && outcome.reason === 'locked')).toHaveLength(6);
  });

  it('regenerating backup codes invalidates the old ones', async () => {
    const { twoFactor } = services;
    const { backupCodes: old } = await enrol(twoFactor, userId, clock);
    const fresh = await twoFactor.regenerateBackupCodes(userId);
    expect(fresh).toHaveLength(10);
    expect(fresh.some((code) => old.includes(code))).toBe(false);
    expect(await twoFactor.verifySecondFactor(userId, old[0]!)).toEqual({ ok: false, reason: 'invalid' });
    expect(await twoFactor.verifySecondFactor(userId, fresh[0]!)).toEqual({ ok: true, method: 'backup' });
    expect((await twoFactor.status(userId)).backupCodesLeft).toBe(9);

    const otherId = (await insertUser(db.database, { email: `${randomUUID()}@example.com`, emailVerified: true, passwordHash: null })).id;
    await expect(twoFactor.regenerateBackupCodes(otherId)).rejects.toThrow(ConflictError);
    expect(await rowsOf(db.database, otherId)).toMatchObject({ backup_codes: 0 });
  });

  it('trusts a remembered device for its own account until it expires or is revoked', async () => {
    const { trustedDevices, twoFactor } = services;
    const otherId = (await insertUser(db.database, { email: `${randomUUID()}@example.com`, emailVerified: true, passwordHash: null })).id;
    const before = Date.now();
    const laptop = await trustedDevices.remember(userId, 'Firefox on Linux\n\u0007');
    expect(laptop.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(laptop.expiresAt.getTime()).toBeGreaterThan(before + 29 * 86_400_000);
    expect(laptop.expiresAt.getTime()).toBeLessThan(Date.now() + 31 * 86_400_000);
    expect(JSON.stringify((await db.database.query('SELECT * FROM trusted_devices WHERE id = $1', [laptop.deviceId])).rows)).not.toContain(laptop.token);

    await db.database.query("UPDATE trusted_devices SET last_used_at = now() - interval '1 day' WHERE id = $1", [laptop.deviceId]);
    expect(await trustedDevices.check(userId, laptop.token)).toBe(laptop.deviceId);
    expect(await trustedDevices.check(otherId, laptop.token)).toBeNull();
    expect(await trustedDevices.check(userId, `${laptop.token.slice(0, -1)}${laptop.token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await trustedDevices.check(userId, 'not a token')).toBeNull();
    const [listed] = await trustedDevices.list(userId);
    expect(listed).toMatchObject({ id: laptop.deviceId, label: 'Firefox on Linux' });
    expect(Date.now() - listed!.lastUsedAt.getTime()).toBeLessThan(60_000);
    expect(await trustedDevices.list(otherId)).toEqual([]);

    const phone = await trustedDevices.remember(userId, '');
    const tablet = await trustedDevices.remember(userId, 'Safari on iPad');
    expect((await twoFactor.status(userId)).trustedDevices).toBe(3);
    expect(await trustedDevices.revoke(otherId, phone.deviceId)).toBe(false);
    expect(await trustedDevices.revoke(userId, 'not-a-uuid')).toBe(false);
    expect(await trustedDevices.revoke(userId, phone.deviceId)).toBe(true);
    expect(await trustedDevices.revoke(userId, phone.deviceId)).toBe(false);
    expect(await trustedDevices.check(userId, phone.token)).toBeNull();

    await db.database.query("UPDATE trusted_devices SET expires_at = now() - interval '1 second' WHERE id = $1", [tablet.deviceId]);
    expect(await trustedDevices.check(userId, tablet.token)).toBeNull();
    expect((await trustedDevices.list(userId)).map((device) => device.id)).toEqual([laptop.deviceId]);

    expect(await trustedDevices.revokeAll(userId)).toBe(1);
    expect(await trustedDevices.check(userId, laptop.token)).toBeNull();
    expect(await trustedDevices.list(userId)).toEqual([]);

    const sweeper = startSweeper({ database: db.database, intervalSeconds: 3600, batchSize: 100, onError: () => undefined });
    try {
      await sweeper.sweepOnce();
    } finally {
      await sweeper.stop();
    }
    const left = await db.database.query<{ id: string }>('SELECT id FROM trusted_devices WHERE user_id = $1 ORDER BY id', [userId]);
    expect(left.rows.map((row) => row.id).sort()).toEqual([laptop.deviceId, phone.deviceId].sort());
  });

  it('disable and reset remove the authenticator, codes, devices and lock in one go', async () => {
    const { twoFactor, trustedDevices } = services;
    for (const remove of [twoFactor.disable, twoFactor.reset]) {
      const { secret, backupCodes } = await enrol(twoFactor, userId, clock);
      const device = await trustedDevices.remember(userId, 'Firefox on Linux');
      await twoFactor.verifySecondFactor(userId, 'wrong');
      expect(await rowsOf(db.database, userId)).toEqual({ totp_credentials: 1, backup_codes: 10, trusted_devices: 1, second_factor_failures: 1 });

      expect(await remove(userId)).toBe(true);
      expect(await rowsOf(db.database, userId)).toEqual({ totp_credentials: 0, backup_codes: 0, trusted_devices: 0, second_factor_failures: 0 });
      expect(await twoFactor.status(userId)).toEqual({ enrolled: false, backupCodesLeft: 0, trustedDevices: 0 });
      expect(await twoFactor.verifySecondFactor(userId, totpCode(secret, clock.nowMs))).toEqual({ ok: false, reason: 'invalid' });
      expect(await twoFactor.verifySecondFactor(userId, backupCodes[0]!)).toEqual({ ok: false, reason: 'invalid' });
      expect(await trustedDevices.check(userId, device.token)).toBeNull();
      expect(await remove(userId)).toBe(false);
    }
  });
});

// Each CLI run is a fresh process opening the database (about 2 s on PGlite).
const CLI_RUNS_MS = 120_000;

describe.each(storageKinds)('gatehouse users reset-2fa on %s', (kind) => {
  const cli = cliFixture(kind, 'gh-2fa-cli-');

  it('removes a person\'s second factor by email, and says when there was none', { timeout: CLI_RUNS_MS }, async () => {
    const help = await runCli(['users', 'reset-2fa', '--help'], cli.env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: gatehouse users reset-2fa --email E');
    expect((await runCli(['users', '--help'], cli.env)).stdout).toContain('reset-2fa');
    for (const args of [['users', 'reset-2fa'], ['users', 'reset-2fa', '--email', 'not-an-email'], ['users', 'reset-2fa', '--email', 'a@example.com', '--id', 'x']]) {
      const refused = await runCli(args, cli.env);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toMatch(/^gatehouse: users reset-2fa: [^\n]+\n$/);
    }

    const added = await runCli(['users', 'add', '--email', 'ada@example.com', '--password', 'correct horse battery'], cli.env);
    expect(added.code, added.stderr).toBe(0);
    const clock = { nowMs: Date.now() };
    const userId = await cli.withDatabase(async (database) => {
      const { twoFactor, trustedDevices } = servicesOver(database, cli.env.ENCRYPTION_KEY!, () => clock.nowMs);
      const { id } = (await database.query<{ id: string }>("SELECT id FROM users WHERE email = 'ada@example.com'")).rows[0]!;
      await enrol(twoFactor, id, clock);
      await trustedDevices.remember(id, 'Firefox on Linux');
      return id;
    });

    const reset = await runCli(['users', 'reset-2fa', '--email', 'ADA@example.com'], cli.env);
    expect(reset.stderr).toBe('');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toBe('two-factor sign-in removed for <ADA@example.com>\n');
    expect(await cli.withDatabase((database) => rowsOf(database, userId))).toEqual({ totp_credentials: 0, backup_codes: 0, trusted_devices: 0, second_factor_failures: 0 });
    const audited = await cli.withDatabase((database) => database.query("SELECT type, outcome, detail FROM audit_events WHERE account_id = $1 AND type = 'two_factor.reset'", [userId]));
    expect(audited.rows).toEqual([{ type: 'two_factor.reset', outcome: 'success', detail: { by: 'admin-cli', wasOn: true } }]);

    const again = await runCli(['users', 'reset-2fa', '--email', 'ada@example.com'], cli.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('<ada@example.com> had no two-factor sign-in to remove\n');

    const unknown = await runCli(['users', 'reset-2fa', '--email', 'nobody@example.com'], cli.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('gatehouse: no user with email nobody@example.com\n');
  });
});
