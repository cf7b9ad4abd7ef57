// Two-factor sign-in: enrolling an authenticator app, backup codes, checking a second
// factor with replay defence and lockout, and removing it all. The HTTP layer decides when to ask
// (policy, trusted devices, step-up) and checks the password before disable().
import { ConflictError } from '../errors.js';
import type { Database } from '../storage/db.js';
import {
  advanceTotpStep, clearAttempts, confirmTotpCredential, consumeBackupCode, countTwoFactor, hasConfirmedTotp, deleteTwoFactor, findRecentPendingTotpSecret,
  findTotpCredential, lockAttempts, putPendingTotpCredential, replaceBackupCodes, reserveAttempt, type TwoFactorCounts,
} from '../storage/repositories/two-factor.js';
import { canonicalBackupCode, newBackupCodes, type BackupCodeHasher } from './backup-codes.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { isTotpCodeShaped, type Totp } from './totp.js';

export interface TwoFactorPolicy {
  mode: 'optional' | 'required';
  requiredForRoles: string[];
  requiredForClients: string[];
}

export interface TwoFactorSettings {
  issuerLabel: string;
  /** Wrong codes in a row before second-factor attempts are locked. */
  maxFailures: number;
  lockoutSeconds: number;
  trustedDeviceDays: number;
  policy: TwoFactorPolicy;
}

export type TwoFactorStatus = TwoFactorCounts;

// How long an unconfirmed secret is shown again rather than replaced: enough to scan it and type a
// code, short enough that a secret someone else saw earlier (a borrowed session) is not reused.
const ENROLMENT_REUSE_SECONDS = 30 * 60;

export interface Enrolment {
  /** The secret for typing in by hand, in groups of four. */
  secretText: string;
  otpauthUri: string;
  qrSvg: string;
}

export type ConfirmOutcome =
  | { ok: true; backupCodes: string[] }
  | { ok: false; reason: 'invalid' | 'not-pending' };

export type SecondFactorOutcome =
  | { ok: true; method: 'otp' | 'backup' }
  | { ok: false; reason: 'invalid' | 'replayed' }
  | { ok: false; reason: 'locked'; lockedUntil?: Date };

/** Whether policy demands a second factor of a person with these roles signing in to this client. */
export function isTwoFactorRequired(policy: TwoFactorPolicy, who: { roles?: readonly string[]; clientId?: string }): boolean {
  if (policy.mode === 'required') return true;
  if (who.clientId !== undefined && policy.requiredForClients.includes(who.clientId)) return true;
  return (who.roles ?? []).some((role) => policy.requiredForRoles.includes(role));
}

/**
 * isTwoFactorRequired for one account, reading its roles (users.rolesOf) only when the answer
 * turns on them: most sign-ins under a policy without requiredForRoles cost no extra query.
 */
export async function isTwoFactorRequiredFor(
  policy: TwoFactorPolicy, who: { accountId: string; clientId?: string }, rolesOf: (accountId: string) => Promise<string[]>,
): Promise<boolean> {
  if (isTwoFactorRequired(policy, { clientId: who.clientId })) return true;
  return policy.requiredForRoles.length > 0 && isTwoFactorRequired(policy, { roles: await rolesOf(who.accountId) });
}

export function createTwoFactorService(deps: {
  database: Database;
  secretBox: SecretBox;
  totp: Totp;
  hashBackupCode: BackupCodeHasher;
  /** Milliseconds since the epoch that TOTP codes are checked against. */
  clock?: () => number;
  settings: TwoFactorSettings;
  /** Tells the owner when wrong codes lock second-factor attempts (second-factor-lock-notice.ts). */
  notifyLocked?: (userId: string, lockedUntil: Date) => Promise<void>;
}) {
  const { database, secretBox, totp, hashBackupCode, settings, notifyLocked } = deps;
  const clock = deps.clock ?? Date.now;

  function issueBackupCodes(userId: string): { codes: string[]; hashes: string[] } {
    const codes = newBackupCodes();
    return { codes, hashes: codes.map((code) => hashBackupCode(userId, canonicalBackupCode(code)!)) };
  }

  /** Enrolment and what is left of it, for the account page. */
  async function status(userId: string): Promise<TwoFactorStatus> {
    return countTwoFactor(database, userId);
  }

  /** Whether the account has a second factor: the one question sign-in asks (one EXISTS, no counts). */
  function isEnrolled(userId: string): Promise<boolean> {
    return hasConfirmedTotp(database, userId);
  }

  /** A new, unconfirmed secret (replacing an unconfirmed one); ConflictError when already enrolled. */
  async function beginEnrolment(userId: string, email: string): Promise<Enrolment> {
    const secret = totp.generateSecret();
    if (!(await putPendingTotpCredential(database, userId, secretBox.encrypt(secret)))) {
      throw new ConflictError('two-factor sign-in is already on for this account');
    }
    return enrolmentFor(secret, email);
  }

  /**
   * The enrolment begun in the last ENROLMENT_REUSE_SECONDS with the same secret (the person may
   * have scanned it already, e.g. before a mistyped code), else a new one. ConflictError when enrolled.
   */
  async function currentEnrolment(userId: string, email: string): Promise<Enrolment> {
    const sealed = await findRecentPendingTotpSecret(database, userId, ENROLMENT_REUSE_SECONDS);
    return sealed ? enrolmentFor(secretBox.decrypt(sealed), email) : beginEnrolment(userId, email);
  }

  async function enrolmentFor(secret: string, email: string): Promise<Enrolment> {
    const otpauthUri = totp.keyUri(secret, email, settings.issuerLabel);
    return { secretText: secret.match(/.{1,4}/g)!.join(' '), otpauthUri, qrSvg: await totp.qrSvg(otpauthUri) };
  }

  /**
   * Turns the pending secret on once a code from it is right, and issues the backup codes (shown
   * once), in one transaction. The code's step counts as used, so it cannot sign in afterwards.
   */
  async function confirmEnrolment(userId: string, code: string): Promise<ConfirmOutcome> {
    const credential = await findTotpCredential(database, userId);
    if (!credential || credential.confirmed_at) return { ok: false, reason: 'not-pending' };
    const step = await totp.verify(secretBox.decrypt(credential.secret_encrypted), code, clock());
    if (step === null) return { ok: false, reason: 'invalid' };
    const { codes, hashes } = issueBackupCodes(userId);
    const confirmed = await database.transaction(async (tx) => {
      if (!(await confirmTotpCredential(tx, userId, credential.secret_encrypted, step))) return false;
      await replaceBackupCodes(tx, userId, hashes);
      return true;
    });
    return confirmed ? { ok: true, backupCodes: codes } : { ok: false, reason: 'not-pending' };
  }

  /** Ten new backup codes; the old ones stop working in the same transaction. ConflictError when not enrolled. */
  async function regenerateBackupCodes(userId: string): Promise<string[]> {
    const { codes, hashes } = issueBackupCodes(userId);
    await database.transaction(async (tx) => {
      const credential = await findTotpCredential(tx, userId);
      if (!credential?.confirmed_at) throw new ConflictError('two-factor sign-in is not on for this account');
      await replaceBackupCodes(tx, userId, hashes);
    });
    return codes;
  }

  /** Checks a code without counting it: which factor it is and whether it passes. */
  async function check(userId: string, code: string): Promise<SecondFactorOutcome> {
    if (isTotpCodeShaped(code)) {
      const credential = await findTotpCredential(database, userId);
      if (!credential?.confirmed_at) return { ok: false, reason: 'invalid' };
      const step = await totp.verify(secretBox.decrypt(credential.secret_encrypted), code, clock());
      if (step === null) return { ok: false, reason: 'invalid' };
      // RFC 6238 §5.2: a code is accepted once. The conditional UPDATE lets one of any number of
      // concurrent submissions through, and none for a step at or before the last one used.
      return (await advanceTotpStep(database, userId, step)) ? { ok: true, method: 'otp' } : { ok: false, reason: 'replayed' };
    }
    const backupCode = canonicalBackupCode(code);
    // Found by its keyed hash in the database: nothing secret is compared in memory.
    if (backupCode && (await consumeBackupCode(database, userId, hashBackupCode(userId, backupCode)))) return { ok: true, method: 'backup' };
    return { ok: false, reason: 'invalid' };
  }

  /**
   * Checks a TOTP code or a backup code. Attempts are counted before the code is looked at, so
   * parallel guesses are numbered too; the maxFailures-th failure in a row, and any attempt while
   * locked, answer 'locked' (NIST 800-63B §3.2.2). A success clears the count.
   */
  async function verifySecondFactor(userId: string, code: string): Promise<SecondFactorOutcome> {
    const reservation = await reserveAttempt(database, userId);
    if (reservation.locked) return { ok: false, reason: 'locked', ...(reservation.lockedUntil ? { lockedUntil: reservation.lockedUntil } : {}) };
    if (reservation.attempt > settings.maxFailures) {
      return { ok: false, reason: 'locked', lockedUntil: await lockAttempts(database, userId, settings.lockoutSeconds) };
    }
    const outcome = await check(userId, code);
    if (outcome.ok) {
      await clearAttempts(database, userId);
      return outcome;
    }
    if (reservation.attempt >= settings.maxFailures) {
      const lockedUntil = await lockAttempts(database, userId, settings.lockoutSeconds);
      // Attempts are numbered atomically, so exactly one failure is the maxFailures-th: one mail per lock.
      if (reservation.attempt === settings.maxFailures) await notifyLocked?.(userId, lockedUntil);
      return { ok: false, reason: 'locked', lockedUntil };
    }
    return outcome;
  }

  /** Removes the authenticator, backup codes, trusted devices and failure count in one transaction; true when it was on. */
  async function disable(userId: string): Promise<boolean> {
    return database.transaction((tx) => deleteTwoFactor(tx, userId));
  }

  return { status, isEnrolled, beginEnrolment, currentEnrolment, confirmEnrolment, regenerateBackupCodes, verifySecondFactor, disable, reset: disable };
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;
