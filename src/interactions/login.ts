// The password step: show the form, check the credentials, finish the login prompt.
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { BusyError } from '../errors.js';
import { ACCOUNT_PATHS } from '../account-paths.js';
import { formFields, formOf } from '../http/body.js';
import { inMinutes, isWithinPasswordByteLimit } from '../http/form-problems.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { allowFormTarget } from '../http/security-headers.js';
import type { AuditLog } from '../services/audit.js';
import type { Upstream } from '../services/federation.js';
import type { LoginGuard } from '../services/login-guard.js';
import type { User, UserService } from '../services/users.js';
import { interactionOf, type InteractionStep, type StepContext } from './load-interaction.js';
import { clientDisplayName, interactionPaths } from './view-models.js';

// One message for an unknown email, a wrong password and a disabled account, so the page does
// not reveal which accounts exist (ASVS 5.0 V6.3.8; the service does the same work for each).
export const LOGIN_FAILED = 'Incorrect email or password.';
export const EMAIL_NOT_CONFIRMED = 'Confirm your email address first.';
// Shown when accounts.reactivation is 'admin'; with 'sign-in' the password alone reactivates.
export const ACCOUNT_DEACTIVATED = 'This account was deactivated. Ask the administrator to reactivate it.';

/** The same words for a right and a wrong password, and for an address without an account. */
export function lockedMessage(retryAfterSeconds: number): string {
  return `Too many failed sign-in attempts for this account. Try again in ${inMinutes(retryAfterSeconds)}, or use the unlock link sent to its email address.`;
}

/** Many sources failed for this account: a wait that grows, never a lock (login-guard.ts). */
export function throttledMessage(retryAfterSeconds: number): string {
  return `Too many failed sign-in attempts for this account. Try again in ${inMinutes(retryAfterSeconds)}.`;
}

/** The page's words for a refused attempt. */
export function refusalMessage(verdict: { reason: 'ip-limited' | 'locked' | 'throttled'; retryAfterSeconds: number }): string {
  if (verdict.reason === 'locked') return lockedMessage(verdict.retryAfterSeconds);
  return verdict.reason === 'throttled' ? throttledMessage(verdict.retryAfterSeconds) : ipLimitedMessage(verdict.retryAfterSeconds);
}

export function ipLimitedMessage(retryAfterSeconds: number): string {
  return `Too many sign-in attempts from your network. Try again in ${inMinutes(retryAfterSeconds)}.`;
}

// NIST 800-63B §3.1.1.2: accept long passwords (64+); the upper bound only caps hashing work.
const loginSchema = z.object({
  email: z.string().trim().min(1, 'Enter your email address.').max(320, 'Enter a shorter email address.'),
  // Bytes, not characters: the cap bounds argon2's input (issue 6 item 6).
  password: z.string().min(1, 'Enter your password.').refine(isWithinPasswordByteLimit, 'Enter a shorter password.'),
});

type LoginField = 'email' | 'password';

interface LoginProblems {
  summary: { field: LoginField | null; message: string }[];
  fields: Partial<Record<LoginField, string>>;
}

const NO_PROBLEMS: LoginProblems = { summary: [], fields: {} };

function problemsFrom(error: z.ZodError): LoginProblems {
  const problems: LoginProblems = { summary: [], fields: {} };
  for (const issue of error.issues) {
    const field = issue.path[0] === 'email' || issue.path[0] === 'password' ? issue.path[0] : null;
    if (field && problems.fields[field]) continue;
    if (field) problems.fields[field] = issue.message;
    problems.summary.push({ field, message: issue.message });
  }
  return problems;
}

/** Why a password sign-in failed, as the audit trail records it (never the password itself). */
type LoginFailureReason = 'bad_credentials' | 'unverified_email' | 'deactivated' | 'busy' | 'locked' | 'rate_limited';

export function createLoginSteps(deps: {
  provider: Provider; users: UserService; audit: AuditLog; renderer: Renderer; csrf: Csrf; loginPolicy: 'block' | 'allow';
  loginGuard: LoginGuard;
  /** This browser's device-cookie id, if it has one: a browser the account knows is its own source. */
  readDeviceId: (ctx: StepContext) => string | undefined;
  afterPassword: (ctx: StepContext, user: User, options: { remember: boolean }) => Promise<void>;
  /** Configured upstream identity providers: a "Continue with …" button each (federated.ts). */
  upstreams: readonly Upstream[];
}) {
  const { provider, users, audit, renderer, csrf, loginPolicy, loginGuard, readDeviceId, afterPassword, upstreams } = deps;

  /** The typed address goes in the row, so failures for unknown addresses can be found too. */
  function recordLogin(ctx: StepContext, email: string, accountId: string | undefined, reason?: LoginFailureReason): Promise<void> {
    const clientId = interactionOf(ctx).params.client_id;
    return audit.record({
      type: reason ? 'login.failure' : 'login.success',
      outcome: reason ? 'failure' : 'success',
      accountId,
      email,
      clientId: typeof clientId === 'string' ? clientId : null,
      ...requestMeta(ctx),
      detail: reason ? { method: 'password', reason } : { method: 'password' },
    });
  }

  async function renderLogin(ctx: StepContext, email: string, problems: LoginProblems, status: number): Promise<void> {
    const interaction = interactionOf(ctx);
    // The form posts here and ends in a redirect to the client (see security-headers.ts).
    allowFormTarget(ctx, interaction.params.redirect_uri as string | undefined);
    // The provider buttons post here and end in a redirect to the upstream.
    for (const upstream of upstreams) allowFormTarget(ctx, upstream.formTarget());
    await renderer.render(ctx, 'interaction/login', {
      upstreams: upstreams.map(({ id, displayName }) => ({ id, displayName })),
      title: 'Sign in',
      clientName: await clientDisplayName(provider, interaction),
      paths: interactionPaths(interaction.uid),
      csrfToken: csrf.issue(ctx),
      email,
      errors: problems.summary,
      fieldErrors: problems.fields,
      // "Remember me" stays as it was ticked when the form comes back with a problem.
      remember: ctx.state.form?.get('remember') === 'yes',
      resendPath: problems.summary.some((problem) => problem.message === EMAIL_NOT_CONFIRMED) ? ACCOUNT_PATHS.resend : undefined,
    }, status);
  }

  const showLogin: InteractionStep = async function showLogin(ctx) {
    const hint = interactionOf(ctx).params.login_hint;
    await renderLogin(ctx, typeof hint === 'string' ? hint.slice(0, 320) : '', NO_PROBLEMS, 200);
  };

  const handleLogin: InteractionStep = async function handleLogin(ctx) {
    const fields = formFields(formOf(ctx));
    const parsed = loginSchema.safeParse(fields);
    const typedEmail = (fields.email ?? '').slice(0, 320);
    if (!parsed.success) {
      await renderLogin(ctx, typedEmail, problemsFrom(parsed.error), 400);
      return;
    }
    // Counted before the password is checked (login-guard.ts), so parallel guesses cannot outrun it.
    const verdict = await loginGuard.beforeAttempt(parsed.data.email, { ...requestMeta(ctx), deviceId: readDeviceId(ctx) });
    if (!verdict.allowed) {
      await recordLogin(ctx, parsed.data.email, undefined, verdict.reason === 'locked' ? 'locked' : 'rate_limited');
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      await renderLogin(ctx, typedEmail, { summary: [{ field: null, message: refusalMessage(verdict) }], fields: {} }, 429);
      return;
    }
    let user;
    try {
      user = await users.authenticateWithPassword(parsed.data.email, parsed.data.password, verdict);
    } catch (error) {
      if (!(error instanceof BusyError)) throw error;
      await recordLogin(ctx, parsed.data.email, undefined, 'busy');
      // Overloaded: keep the person on the form with what they typed (but the password).
      await renderLogin(ctx, typedEmail, { summary: [{ field: null, message: error.message }], fields: {} }, 503);
      return;
    }
    if (!user) {
      await loginGuard.afterFailure(parsed.data.email, verdict);
      await recordLogin(ctx, parsed.data.email, undefined, 'bad_credentials');
      // 400 rather than 401: a 401 must carry a WWW-Authenticate challenge (RFC 9110 §15.5.2),
      // and this is a form to correct, not an HTTP authentication scheme.
      await renderLogin(ctx, typedEmail, { summary: [{ field: null, message: LOGIN_FAILED }], fields: {} }, 400);
      return;
    }
    await loginGuard.afterSuccess(parsed.data.email, verdict);
    // Only after the password matched, so these messages reveal nothing to someone without it.
    if (user.reactivated) {
      await audit.record({ type: 'account.reactivated', outcome: 'success', accountId: user.id, email: user.email, ...requestMeta(ctx), detail: { by: 'sign-in' } });
    }
    if (user.status === 'deactivated') {
      await recordLogin(ctx, parsed.data.email, user.id, 'deactivated');
      await renderLogin(ctx, typedEmail, { summary: [{ field: null, message: ACCOUNT_DEACTIVATED }], fields: {} }, 403);
      return;
    }
    if (loginPolicy === 'block' && !user.emailVerified) {
      await recordLogin(ctx, parsed.data.email, user.id, 'unverified_email');
      await renderLogin(ctx, typedEmail, { summary: [{ field: null, message: EMAIL_NOT_CONFIRMED }], fields: {} }, 403);
      return;
    }
    // The password was right: sign in now, or go on to the second factor (second-factor.ts).
    // Without "remember me" the session cookie ends with the browser (oidc-provider `transient`).
    await afterPassword(ctx, user, { remember: fields.remember === 'yes' });
    await recordLogin(ctx, parsed.data.email, user.id);
  };

  return { showLogin, handleLogin };
}
