// The password step: show the form, check the credentials, finish the login prompt.
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { ACCOUNT_PATHS } from '../paths.js';
import { formFields, formOf } from '../http/body.js';
import { formProblem, isWithinPasswordByteLimit, wholeMinutes, noProblems, problemsFromZod, type FormProblems } from '../http/form-problems.js';
import type { Csrf } from '../http/csrf.js';
import type { Journeys } from '../http/journey.js';
import type { JourneyNotes } from '../http/journey-note.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { allowFormTarget } from '../http/security-headers.js';
import type { Upstream } from '../services/federation.js';
import type { RegistrationService } from '../services/registration.js';
import type { SignInService } from '../services/sign-in.js';
import type { User } from '../services/users.js';
import { clientIdOf, interactionOf, type InteractionStep, type StepContext } from './load-interaction.js';
import { clientShown, interactionPaths } from './view-models.js';

// One message for an unknown email, a wrong password and a disabled account, so the page does
// not reveal which accounts exist (ASVS 5.0 V6.3.8; the service does the same work for each).
export const LOGIN_FAILED = 'Incorrect email or password.';
export const EMAIL_NOT_CONFIRMED = 'Confirm your email address first.';
// Shown when accounts.reactivation is 'admin'; with 'sign-in' the password alone reactivates.
export const ACCOUNT_DISABLED = 'This account was disabled by an administrator. Contact them to use it again.';
export const ACCOUNT_DEACTIVATED = 'This account was deactivated. Ask the administrator to reactivate it.';
// Only after the password was checked right (services/sign-in.ts), so it tells nothing to a guesser.
export const PASSWORD_BLOCKED = 'For your safety this password was blocked. Use the reset link we emailed, or ask for a new one.';

// A warning before the pause, not after it (ASVS 5.0 V6.3.1 lockout; people should not be surprised
// by it): shown from this many wrong passwords left.
const WARN_FROM_ATTEMPTS_LEFT = 2;

// The page's words are catalogue keys (locales/*.json) with values: `count` picks the plural form.
const PAUSED_NOW = `${LOGIN_FAILED} Sign-in for this account from here is now paused: use the unlock link sent to its email address, or try again later.`;
const TRIES_LEFT = `${LOGIN_FAILED} {{count}} more wrong tries and sign-in for this account from here is paused for a while.`;
const LOCKED = 'Too many failed sign-in attempts for this account. Try again in {{count}} minutes, or use the unlock link sent to its email address.';
const THROTTLED = 'Too many failed sign-in attempts for this account. Try again in {{count}} minutes.';
const IP_LIMITED = 'Too many sign-in attempts from your network. Try again in {{count}} minutes.';

/** A wrong password (or an unknown address): the same words, with a warning when few tries are left. */
export function loginFailedProblem<F extends string>(attemptsLeft: number): FormProblems<F> {
  if (attemptsLeft === 0) return formProblem(PAUSED_NOW);
  if (attemptsLeft > WARN_FROM_ATTEMPTS_LEFT) return formProblem(LOGIN_FAILED);
  return formProblem<F>(TRIES_LEFT, null, { count: attemptsLeft });
}

/**
 * The page's words for a refused attempt: the same for a right and a wrong password, and for an
 * address without an account. A throttle is many sources failing: a wait that grows, never a lock.
 */
export function refusalProblem<F extends string>(refusal: { reason: 'ip-limited' | 'locked' | 'throttled'; retryAfterSeconds: number }): FormProblems<F> {
  const text = refusal.reason === 'locked' ? LOCKED : refusal.reason === 'throttled' ? THROTTLED : IP_LIMITED;
  return formProblem<F>(text, null, { count: wholeMinutes(refusal.retryAfterSeconds) });
}

// NIST 800-63B §3.1.1.2: accept long passwords (64+); the upper bound only caps hashing work.
const loginSchema = z.object({
  email: z.string().trim().min(1, 'Enter your email address.').max(320, 'Enter a shorter email address.'),
  // Bytes, not characters: the cap bounds argon2's input (ASVS 5.0 V6.2.4 sets no lower maximum than 64 characters).
  password: z.string().min(1, 'Enter your password.').refine(isWithinPasswordByteLimit, 'Enter a shorter password.'),
});

const LOGIN_FIELDS = ['email', 'password'] as const;
type LoginProblems = FormProblems<(typeof LOGIN_FIELDS)[number]>;

export function createLoginSteps(deps: {
  provider: Provider; signIn: SignInService; renderer: Renderer; csrf: Csrf;
  /** This browser's device-cookie id, if it has one: a browser the account knows is its own source. */
  readDeviceId: (ctx: StepContext) => string | undefined;
  afterPassword: (ctx: StepContext, user: User, options: { remember: boolean }) => Promise<void>;
  /** Configured upstream identity providers: a "Continue with …" button each (federated.ts). */
  upstreams: readonly Upstream[];
  appLogo: (logoUri: unknown) => string | null;
  journeys: Journeys;
  journeyNotes: JourneyNotes;
  registration: Pick<RegistrationService, 'isOpenToAll'>;
}) {
  const { provider, signIn, renderer, csrf, readDeviceId, afterPassword, upstreams, appLogo, journeys, journeyNotes, registration } = deps;

  /** The account pages this page links to, each naming this interaction so that it ends back here. */
  function journeyLinks(uid: string): { registerPath: string | undefined; forgotPath: string } {
    const query = `?interaction=${encodeURIComponent(uid)}`;
    return {
      registerPath: registration.isOpenToAll() ? `${ACCOUNT_PATHS.register}${query}` : undefined,
      forgotPath: `${ACCOUNT_PATHS.forgotPassword}${query}`,
    };
  }

  async function renderLogin(ctx: StepContext, email: string, problems: LoginProblems, status: number, note?: string): Promise<void> {
    const interaction = interactionOf(ctx);
    // The form posts here and ends in a redirect to the client (see security-headers.ts).
    allowFormTarget(ctx, interaction.params.redirect_uri as string | undefined);
    // The provider buttons post here and end in a redirect to the upstream.
    for (const upstream of upstreams) allowFormTarget(ctx, upstream.formTarget());
    const client = await clientShown(provider, interaction);
    await renderer.render(ctx, 'interaction/login', {
      upstreams: upstreams.map(({ id, displayName }) => ({ id, displayName })),
      title: 'Sign in',
      clientName: client.name,
      clientLogo: appLogo(client.logoUri),
      paths: interactionPaths(interaction.uid),
      csrfToken: csrf.issue(ctx),
      email,
      errors: problems.summary,
      fieldErrors: problems.fields,
      // "Remember me" stays as it was ticked when the form comes back with a problem.
      remember: ctx.state.form?.get('remember') === 'yes',
      resendPath: problems.summary.some((problem) => problem.message === EMAIL_NOT_CONFIRMED) ? ACCOUNT_PATHS.resend : undefined,
      blockedResetPath: problems.summary.some((problem) => problem.message === PASSWORD_BLOCKED) ? ACCOUNT_PATHS.forgotPassword : undefined,
      note,
      ...journeyLinks(interaction.uid),
    }, status);
  }

  /**
   * A refusal whose way out is a mailed link (unlock, confirm): remember this sign-in in this
   * browser, so that the link's page can lead back into it.
   */
  function rememberForMailedLink(ctx: StepContext): void {
    const clientId = clientIdOf(ctx);
    if (clientId) journeys.remember(ctx, interactionOf(ctx).uid, clientId);
  }

  const showLogin: InteractionStep = async function showLogin(ctx) {
    const interaction = interactionOf(ctx);
    // Back from registration, confirmation, reset or unlock: say so, with the address filled in.
    const returned = journeyNotes.take(ctx, interaction.uid);
    const hint = returned?.email ?? interaction.params.login_hint;
    await renderLogin(ctx, typeof hint === 'string' ? hint.slice(0, 320) : '', noProblems(), 200, returned?.message);
  };

  const handleLogin: InteractionStep = async function handleLogin(ctx) {
    const fields = formFields(formOf(ctx));
    const parsed = loginSchema.safeParse(fields);
    const typedEmail = (fields.email ?? '').slice(0, 320);
    if (!parsed.success) return renderLogin(ctx, typedEmail, problemsFromZod(parsed.error, LOGIN_FIELDS), 400);
    // The typed address goes in the audit rows, so failures for unknown addresses can be found too.
    const source = { ...requestMeta(ctx), deviceId: readDeviceId(ctx) };
    const outcome = await signIn.withPassword(parsed.data.email, parsed.data.password, source, { clientId: clientIdOf(ctx) });
    switch (outcome.kind) {
      case 'limited':
        ctx.set('Retry-After', String(outcome.retryAfterSeconds));
        if (outcome.reason === 'locked') rememberForMailedLink(ctx);
        return renderLogin(ctx, typedEmail, refusalProblem(outcome), 429);
      // Overloaded: keep the person on the form with what they typed (but the password).
      case 'busy': return renderLogin(ctx, typedEmail, formProblem(outcome.message), 503);
      // 400 rather than 401: a 401 must carry a WWW-Authenticate challenge (RFC 9110 §15.5.2),
      // and this is a form to correct, not an HTTP authentication scheme.
      case 'bad-credentials': return renderLogin(ctx, typedEmail, loginFailedProblem(outcome.attemptsLeft), 400);
      case 'deactivated': return renderLogin(ctx, typedEmail, formProblem(ACCOUNT_DEACTIVATED), 403);
      case 'disabled': return renderLogin(ctx, typedEmail, formProblem(ACCOUNT_DISABLED), 403);
      case 'unverified-email':
        rememberForMailedLink(ctx);
        return renderLogin(ctx, typedEmail, formProblem(EMAIL_NOT_CONFIRMED), 403);
      case 'password-blocked': return renderLogin(ctx, typedEmail, formProblem(PASSWORD_BLOCKED), 403);
      // The password was right: sign in now, or go on to the second factor (second-factor.ts).
      // Without "remember me" the session cookie ends with the browser (oidc-provider `transient`).
      case 'signed-in': return afterPassword(ctx, outcome.user, { remember: fields.remember === 'yes' });
    }
  };

  return { showLogin, handleLogin };
}
