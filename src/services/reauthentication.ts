// Asking a signed-in person for their password again before a change that matters (password,
// email address, closing the account): a session alone must not be enough (ASVS 5.0 V6.2.3,
// V7.5.1). Attempts are counted per account before the password is checked, so a stolen session
// cannot brute-force it: once over the limit even the right password waits.
import type { Database } from '../storage/db.js';
import { findUserById, type UserRow } from '../storage/repositories/users.js';
import type { AuditEventType, AuditLog, RequestOrigin } from './audit.js';
import type { RateLimit, RateLimiter } from './rate-limiter.js';
import type { PasswordService } from './passwords.js';

export type ReauthenticationOutcome =
  | { ok: true; user: UserRow }
  | { ok: false; reason: 'wrong-password' }
  /** The right password, but blocked until a reset ("this wasn't me", an undone email change). */
  | { ok: false; reason: 'password-blocked' }
  | { ok: false; reason: 'limited'; retryAfterSeconds: number };

/** The change the password is asked for (its audit type) and where the request came from. */
export interface ReauthenticationPurpose {
  action: AuditEventType;
  origin: RequestOrigin;
}

const REFUSAL_REASONS = {
  limited: 'reauthentication_limited', 'wrong-password': 'wrong_current_password', 'password-blocked': 'password_blocked',
} as const;

export function createReauthentication(deps: { database: Database; passwords: PasswordService; limiter: RateLimiter; limit: RateLimit; audit: AuditLog }) {
  const { database, passwords, limiter, limit, audit } = deps;

  async function refuse(userId: string, purpose: ReauthenticationPurpose, refusal: Exclude<ReauthenticationOutcome, { ok: true }>) {
    await audit.record({
      type: purpose.action, outcome: 'failure', accountId: userId, ...purpose.origin,
      detail: { reason: REFUSAL_REASONS[refusal.reason] },
    });
    return refusal;
  }

  /**
   * Checks the current password of an active account; a refusal is audited under the action
   * it was asked for. Throws BusyError when hashing is saturated.
   */
  return async function reauthenticate(userId: string, password: string, purpose: ReauthenticationPurpose): Promise<ReauthenticationOutcome> {
    const decision = await limiter.hit(`reauthenticate:${userId}`, limit);
    if (!decision.allowed) return refuse(userId, purpose, { ok: false, reason: 'limited', retryAfterSeconds: decision.retryAfterSeconds });
    const user = await findUserById(database, userId);
    const check = await passwords.verify(user?.password_hash, password);
    // A blocked password must not unlock the changes it guards, nor set its own successor.
    if (user && check.valid && user.status === 'active' && user.password_blocked_at) return refuse(userId, purpose, { ok: false, reason: 'password-blocked' });
    if (user && check.valid && user.status === 'active') return { ok: true, user };
    return refuse(userId, purpose, { ok: false, reason: 'wrong-password' });
  };
}

export type Reauthenticate = ReturnType<typeof createReauthentication>;
