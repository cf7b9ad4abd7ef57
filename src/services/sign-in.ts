// Signing in with a password, as one operation: the login guard counts the attempt before argon2
// runs (so parallel guesses cannot outrun it), the password is checked against the account read
// on the way, the guard hears how it went, and the outcome is audited. Pages turn the outcome into
// words; they never see a storage row. What follows the first factor is decided by
// nextStepAfterFirstFactor, a pure function of what is known about the account and the request.
import { BusyError } from '../errors.js';
import type { AuditLog } from './audit.js';
import type { AttemptSource, LoginGuard } from './login-guard.js';
import type { User, UserService } from './users.js';

/** Why a sign-in failed, as the audit trail records it (never the password itself). */
export type SignInFailureReason = 'bad_credentials' | 'unverified_email' | 'deactivated' | 'disabled' | 'busy' | 'locked' | 'rate_limited' | 'password_blocked';

export type PasswordSignIn =
  /** The password was right and the account may sign in: on to the second factor or the login. */
  | { kind: 'signed-in'; user: User }
  /** Refused before the password was checked: too many attempts (this source's, the network's, or many sources' at the account). */
  | { kind: 'limited'; reason: 'locked' | 'ip-limited' | 'throttled'; retryAfterSeconds: number }
  /** Too many password checks running at once on this node: try again shortly. */
  | { kind: 'busy'; message: string }
  /**
   * The same answer for an unknown address and a wrong password, with the wrong passwords this
   * source has left before sign-in from it is paused (counted alike for both).
   */
  | { kind: 'bad-credentials'; attemptsLeft: number }
  /** The password was right, but an admin disabled the account. */
  | { kind: 'disabled'; user: User }
  /**
   * The password was right, but it was blocked ("this wasn't me", an undone email change) until a
   * reset sets a new one: someone else may know it.
   */
  | { kind: 'password-blocked'; user: User }
  /** The password was right, but the account may not sign in yet. */
  | { kind: 'deactivated'; user: User }
  | { kind: 'unverified-email'; user: User };

/** How the audit trail names the way someone signed in. */
export type SignInMethod = { method: 'password' } | { method: 'federated'; provider: string };

export interface PasswordSignInOptions {
  /** The client the person is signing in to, for the audit trail. */
  clientId: string | null;
  /** Only this account counts as a match (re-entering the password of a known account, as linking does). */
  accountId?: string | undefined;
  /** How the audit rows name the attempt: the typed address and the method (default: password). */
  audit?: { email: string | null; detail: SignInMethod } | undefined;
}

export function createSignInService(deps: {
  users: UserService;
  loginGuard: LoginGuard;
  audit: AuditLog;
  /** emailVerification.loginPolicy: whether an unverified address may sign in. */
  loginPolicy: 'block' | 'allow';
}) {
  const { users, loginGuard, audit, loginPolicy } = deps;

  async function withPassword(email: string, password: string, source: AttemptSource, options: PasswordSignInOptions): Promise<PasswordSignIn> {
    const method = options.audit ?? { email, detail: { method: 'password' } as SignInMethod };
    const record = (accountId: string | undefined, reason?: SignInFailureReason) => audit.record({
      type: reason ? 'login.failure' : 'login.success', outcome: reason ? 'failure' : 'success', accountId, email: method.email,
      clientId: options.clientId, ...origin, detail: reason ? { ...method.detail, reason } : method.detail,
    });

    // The audit row takes where the attempt came from, never the device cookie's value.
    const origin = { ip: source.ip, userAgent: source.userAgent };
    const verdict = await loginGuard.beforeAttempt(email, source);
    if (!verdict.allowed) {
      await record(undefined, verdict.reason === 'locked' ? 'locked' : 'rate_limited');
      return { kind: 'limited', reason: verdict.reason, retryAfterSeconds: verdict.retryAfterSeconds };
    }
    let user;
    try {
      user = await users.authenticateWithPassword(email, password, verdict);
    } catch (error) {
      if (!(error instanceof BusyError)) throw error;
      await record(undefined, 'busy');
      return { kind: 'busy', message: error.message };
    }
    if (!user || (options.accountId !== undefined && user.id !== options.accountId)) {
      const attemptsLeft = await loginGuard.afterFailure(email, verdict);
      await record(undefined, 'bad_credentials');
      return { kind: 'bad-credentials', attemptsLeft };
    }
    await loginGuard.afterSuccess(email, verdict);
    // Only after the password matched, so these outcomes reveal nothing to someone without it.
    if (user.reactivated) {
      await audit.record({ type: 'account.reactivated', outcome: 'success', accountId: user.id, email: user.email, ...origin, detail: { by: 'sign-in' } });
    }
    if (user.status === 'disabled') {
      await record(user.id, 'disabled');
      return { kind: 'disabled', user };
    }
    if (user.passwordBlocked) {
      await record(user.id, 'password_blocked');
      return { kind: 'password-blocked', user };
    }
    if (user.status === 'deactivated') {
      await record(user.id, 'deactivated');
      return { kind: 'deactivated', user };
    }
    // Re-entering the password of a known account proves nothing new about its address.
    if (loginPolicy === 'block' && !user.emailVerified && options.accountId === undefined) {
      await record(user.id, 'unverified_email');
      return { kind: 'unverified-email', user };
    }
    await record(user.id);
    return { kind: 'signed-in', user };
  }

  return { withPassword };
}

export type SignInService = ReturnType<typeof createSignInService>;

/** What is known once a first factor (a password, an upstream's ID token) was proven. */
export interface AfterFirstFactorFacts {
  /** The upstream asked for a second factor itself and is trusted for it (RFC 8176 'mfa'). */
  upstreamMfa: boolean;
  /** This request demands two-factor: acr_values, an essential acr claim, or the client's policy. */
  stepUp: boolean;
  /** The account has a confirmed authenticator. */
  enrolled: boolean;
  /** The browser carries a remembered-device cookie that the account still trusts. */
  trustedDevice: boolean;
  /** An upstream identity is being linked to the account: a new way in always asks for the code. */
  linking: boolean;
  /** The two-factor policy (mode, requiredForClients, requiredForRoles) demands a second factor here. */
  policyRequires: boolean;
}

/**
 * - finish-two-factor: sign in at the two-factor level (the upstream did it);
 * - finish-password: sign in at the password level;
 * - verify: ask for a code;
 * - enrol: lead the person through enrolment first.
 */
export type NextStep = 'finish-two-factor' | 'finish-password' | 'verify' | 'enrol';

/**
 * A remembered device stands in for the code, so the session keeps the password-level acr and
 * amr ['pwd']: it is a bearer cookie, not a factor checked now, and a relying party that needs
 * two-factor asks for it with acr_values and gets a code prompt (NIST 800-63B §4.2.1).
 */
export function nextStepAfterFirstFactor(facts: AfterFirstFactorFacts): NextStep {
  if (facts.upstreamMfa) return 'finish-two-factor';
  if (facts.enrolled) return !facts.stepUp && !facts.linking && facts.trustedDevice ? 'finish-password' : 'verify';
  if (facts.stepUp || facts.policyRequires) return 'enrol';
  return 'finish-password';
}
