// The second step of a sign-in. After the password, an account with an authenticator is
// asked for a code on its own page of the same interaction; one that must have two-factor and has
// none is led through enrolment first. What is pending between the steps lives in the interaction
// (STYLE example 3) and is re-read on every request; only the last factor finishes the login.
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { ConflictError } from '../errors.js';
import { formOf } from '../http/body.js';
import { upstreamIdentitySchema } from '../http/federation-cookie.js';
import type { Csrf } from '../http/csrf.js';
import { deviceLabel } from '../http/device-label.js';
import { formProblem, inMinutes, noProblems, type FormProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { allowFormTarget } from '../http/security-headers.js';
import { CODE_MESSAGES as MESSAGES, codeOf, enrolmentView } from '../http/two-factor-views.js';
import { ACR_PASSWORD, ACR_TWO_FACTOR, isStepUpOnly, requestsTwoFactor } from '../oidc/two-factor-policy.js';
import type { AuditLog } from '../services/audit.js';
import type { RateLimit, RateLimiter } from '../services/rate-limiter.js';
import { nextStepAfterFirstFactor } from '../services/sign-in.js';
import type { TrustedDeviceService } from '../services/trusted-devices.js';
import { isTwoFactorRequiredFor, type TwoFactorService, type TwoFactorSettings } from '../services/two-factor.js';
import type { User, UserService } from '../services/users.js';
import { finishInteraction } from './finish.js';
import { clientIdOf, interactionOf, type InteractionStep, type StepContext } from './load-interaction.js';
import type { TrustedDeviceCookie } from './trusted-device-cookie.js';
import { clientDisplayName, interactionPaths } from './view-models.js';

const PENDING = 'pendingSecondFactor';

// verify: asks for a code; enrol: shows a new authenticator to confirm; enrolled: confirmed, the
// backup codes were shown, one click finishes. amr lists the factors already proven.
const pendingSchema = z.object({
  accountId: z.string().min(1),
  step: z.enum(['verify', 'enrol', 'enrolled']),
  amr: z.array(z.string()),
  // "Remember me" from the password form, applied when the last factor finishes the login.
  remember: z.boolean().default(true),
  // A federated sign-in: the upstream to name in the ID token's idp claim, and an identity to
  // link once the last factor is proven (linking to an existing account).
  idp: z.string().optional(),
  link: upstreamIdentitySchema.optional(),
});
type Pending = z.infer<typeof pendingSchema>;

export type LinkIdentity = (ctx: StepContext, accountId: string, identity: NonNullable<Pending['link']>) => Promise<void>;

const TITLES = {
  'second-factor': 'Enter your code',
  'enrol-two-factor': 'Set up two-factor sign-in',
  'two-factor-ready': 'Two-factor sign-in is on',
} as const;

export interface SecondFactorDeps {
  provider: Provider;
  users: UserService;
  twoFactor: TwoFactorService;
  trustedDevices: TrustedDeviceService;
  deviceCookie: TrustedDeviceCookie;
  twoFactorSettings: TwoFactorSettings;
  audit: AuditLog;
  renderer: Renderer;
  csrf: Csrf;
  /** Codes per IP (rateLimits.secondFactorPerIp), on top of the per-account lock of the service. */
  limiter: RateLimiter;
  secondFactorPerIp: RateLimit;
  /** Runs once per completed sign-in, before the browser goes back to the provider (new-device alerts). */
  onSignedIn: (ctx: StepContext, accountId: string) => Promise<void>;
  /** Links an upstream identity once every factor of the account was proven (federated.ts). */
  linkIdentity: LinkIdentity;
}

/** A first factor that was proven: the password, an upstream's ID token, or both (linking). */
export interface FirstFactor {
  amr: string[];
  remember: boolean;
  /** Set for federated sign-ins. */
  idp?: string | undefined;
  link?: Pending['link'];
  /** The upstream's own amr said 'mfa' and this upstream is trusted for it (federation config). */
  upstreamMfa?: boolean;
}

export function createSecondFactorSteps(deps: SecondFactorDeps) {
  const { provider, users, twoFactor, trustedDevices, deviceCookie, twoFactorSettings: settings, audit, renderer, csrf, limiter, secondFactorPerIp, onSignedIn, linkIdentity } = deps;
  const { requiredForClients } = settings.policy;

  /** Whether the policy (mode, requiredForClients, requiredForRoles with the account's roles) demands a second factor here. */
  function policyRequires(ctx: StepContext, accountId: string): Promise<boolean> {
    return isTwoFactorRequiredFor(settings.policy, { accountId, clientId: clientIdOf(ctx) ?? undefined }, users.effectiveRolesOf);
  }

  /**
   * What this interaction waits for: saved after the password, or — when a signed-in session was
   * sent back only to add a second factor (step-up, or to enrol where policy requires it) — the
   * session's account. Undefined means the password form; so does an account that is gone or no
   * longer active.
   */
  async function pendingOf(ctx: StepContext): Promise<{ pending: Pending; user: User } | undefined> {
    const interaction = interactionOf(ctx);
    const saved = pendingSchema.safeParse(interaction.result?.[PENDING]);
    let pending: Pending | undefined = saved.success ? saved.data : undefined;
    const sessionAccount = interaction.session?.accountId;
    if (!pending && sessionAccount && isStepUpOnly(interaction.prompt.reasons)
      && (requestsTwoFactor(interaction.params, requiredForClients) || (await policyRequires(ctx, sessionAccount)))) {
      const enrolled = await twoFactor.isEnrolled(sessionAccount);
      // A step-up keeps the signed-in session; the interaction does not say whether it was remembered.
      pending = { accountId: sessionAccount, step: enrolled ? 'verify' : 'enrol', amr: interaction.session?.amr ?? ['pwd'], remember: true };
    }
    const user = pending ? await users.findById(pending.accountId) : undefined;
    return pending && user?.status === 'active' ? { pending, user } : undefined;
  }

  /** Keeps the pending step in the interaction and shows it. Not merged: it must never carry a login forward. */
  async function continueWith(ctx: StepContext, pending: Pending): Promise<void> {
    await provider.interactionResult(ctx.req, ctx.res, { [PENDING]: pending }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(interactionPaths(interactionOf(ctx).uid).prompt);
  }

  async function finishLogin(ctx: StepContext, accountId: string, amr: string[], acr: string, remember: boolean, federated: Pick<Pending, 'idp' | 'link'> = {}): Promise<void> {
    if (federated.link) await linkIdentity(ctx, accountId, federated.link);
    await onSignedIn(ctx, accountId);
    // `federation` rides beside the login for oidc/federated-sessions.ts (the ID token's idp claim).
    await finishInteraction(ctx, provider, {
      login: { accountId, amr: [...new Set(amr)], acr, remember },
      ...(federated.idp ? { federation: { idp: federated.idp } } : {}),
    }, { mergeWithLastSubmission: false });
  }

  /** A success names the method ('otp' or 'backup'), a failure its reason; never the code. */
  function recordSecondFactor(ctx: StepContext, user: User, result: { method: string } | { reason: string }): Promise<void> {
    const failed = 'reason' in result;
    return audit.record({
      type: failed ? 'second_factor.failure' : 'second_factor.success',
      outcome: failed ? 'failure' : 'success',
      accountId: user.id,
      email: user.email,
      clientId: clientIdOf(ctx),
      ...requestMeta(ctx),
      detail: failed ? { reason: result.reason } : { method: result.method },
    });
  }

  async function isTrustedDevice(ctx: StepContext, accountId: string): Promise<boolean> {
    const token = deviceCookie.read(ctx, accountId);
    return token !== undefined && (await trustedDevices.check(accountId, token)) !== null;
  }

  /** Called once a first factor is proven and the account may sign in; services/sign-in.ts decides what follows. */
  async function afterFirstFactor(ctx: StepContext, user: User, factor: FirstFactor): Promise<void> {
    const { amr, remember } = factor;
    const federated = { idp: factor.idp, link: factor.link };
    const upstreamMfa = factor.upstreamMfa === true;
    const stepUp = requestsTwoFactor(interactionOf(ctx).params, requiredForClients);
    const linking = factor.link !== undefined;
    const enrolled = !upstreamMfa && (await twoFactor.isEnrolled(user.id));
    // Each of these is asked only where its answer can change the step: checking a remembered
    // device marks it used, and the policy may read the account's roles.
    const next = nextStepAfterFirstFactor({
      upstreamMfa, stepUp, enrolled, linking,
      trustedDevice: enrolled && !stepUp && !linking && (await isTrustedDevice(ctx, user.id)),
      policyRequires: !upstreamMfa && !enrolled && !stepUp && (await policyRequires(ctx, user.id)),
    });
    switch (next) {
      case 'finish-two-factor': return finishLogin(ctx, user.id, [...amr, 'mfa'], ACR_TWO_FACTOR, remember, federated);
      case 'finish-password': return finishLogin(ctx, user.id, amr, ACR_PASSWORD, remember, federated);
      case 'verify': return continueWith(ctx, { accountId: user.id, step: 'verify', amr, remember, ...federated });
      case 'enrol':
        await twoFactor.beginEnrolment(user.id, user.email);
        return continueWith(ctx, { accountId: user.id, step: 'enrol', amr, remember, ...federated });
    }
  }

  function afterPassword(ctx: StepContext, user: User, { remember }: { remember: boolean }): Promise<void> {
    return afterFirstFactor(ctx, user, { amr: ['pwd'], remember });
  }

  async function renderStep(
    ctx: StepContext,
    view: keyof typeof TITLES,
    model: Record<string, unknown>,
    problems: FormProblems<'code'>,
    status: number,
  ): Promise<void> {
    const interaction = interactionOf(ctx);
    allowFormTarget(ctx, interaction.params.redirect_uri as string | undefined);
    const clientName = await clientDisplayName(provider, interaction);
    await renderer.render(ctx, `interaction/${view}`, {
      title: TITLES[view],
      clientName,
      paths: interactionPaths(interaction.uid),
      csrfToken: csrf.issue(ctx),
      errors: problems.summary,
      fieldErrors: problems.fields,
      ...model,
    }, status);
  }

  function renderVerify(ctx: StepContext, remember: boolean, problems: FormProblems<'code'>, status: number): Promise<void> {
    return renderStep(ctx, 'second-factor', { remember, rememberDays: settings.trustedDeviceDays }, problems, status);
  }

  async function renderEnrol(ctx: StepContext, pending: Pending, user: User, problems: FormProblems<'code'>, status: number): Promise<void> {
    let enrolment;
    try {
      enrolment = await twoFactor.currentEnrolment(user.id, user.email);
    } catch (error) {
      // Enrolled meanwhile (another tab): ask for a code from it instead.
      if (!(error instanceof ConflictError)) throw error;
      return continueWith(ctx, { ...pending, step: 'verify' });
    }
    return renderStep(ctx, 'enrol-two-factor', { enrolment: enrolmentView(enrolment) }, problems, status);
  }

  /** GET /interaction/:uid for the login prompt: the pending second-factor step, or the password form. */
  function showLoginPrompt(showPassword: InteractionStep): InteractionStep {
    return async function showSecondFactorOrPassword(ctx, next) {
      const found = await pendingOf(ctx);
      if (!found) return showPassword(ctx, next);
      const { pending, user } = found;
      if (pending.step === 'verify') return renderVerify(ctx, false, noProblems(), 200);
      if (pending.step === 'enrol') return renderEnrol(ctx, pending, user, noProblems(), 200);
      return renderStep(ctx, 'two-factor-ready', { backupCodes: [] }, noProblems(), 200);
    };
  }

  async function verifyCode(ctx: StepContext, pending: Pending, user: User): Promise<void> {
    const form = formOf(ctx);
    const remember = form.get('remember') === 'yes';
    const code = codeOf(form);
    if (code === '') return renderVerify(ctx, remember, formProblem(MESSAGES.missingOrBackup, 'code'), 400);
    const outcome = await twoFactor.verifySecondFactor(user.id, code);
    if (outcome.ok) {
      await recordSecondFactor(ctx, user, { method: outcome.method });
      if (remember) {
        const device = await trustedDevices.remember(user.id, deviceLabel(ctx.get('user-agent')));
        deviceCookie.write(ctx, user.id, device.token, device.expiresAt);
      }
      // A backup code is a one-time password too (a look-up secret, NIST 800-63B §5.1.2): 'otp'.
      return finishLogin(ctx, user.id, [...pending.amr, 'otp'], ACR_TWO_FACTOR, pending.remember, pending);
    }
    await recordSecondFactor(ctx, user, { reason: outcome.reason });
    if (outcome.reason === 'locked') {
      // NIST 800-63B §5.2.2: the account's second-factor attempts are locked for lockoutSeconds;
      // this sign-in ends and the relying party hears access_denied.
      return finishInteraction(ctx, provider, {
        error: 'access_denied',
        error_description: 'too many wrong two-factor codes; try again later',
      }, { mergeWithLastSubmission: false });
    }
    return renderVerify(ctx, remember, formProblem(MESSAGES[outcome.reason], 'code'), 400);
  }

  async function confirmEnrolment(ctx: StepContext, pending: Pending, user: User): Promise<void> {
    const code = codeOf(formOf(ctx));
    if (code === '') return renderEnrol(ctx, pending, user, formProblem(MESSAGES.missing, 'code'), 400);
    const outcome = await twoFactor.confirmEnrolment(user.id, code);
    if (!outcome.ok) {
      // not-pending: confirmed in another tab (renderEnrol moves on to the code step) or replaced.
      return renderEnrol(ctx, pending, user, formProblem(MESSAGES.invalid, 'code'), 400);
    }
    await audit.record({
      type: 'two_factor.enrolled', outcome: 'success', accountId: user.id, email: user.email, clientId: clientIdOf(ctx),
      ...requestMeta(ctx), detail: { during: 'sign-in' },
    });
    await provider.interactionResult(ctx.req, ctx.res, { [PENDING]: { ...pending, step: 'enrolled', amr: [...pending.amr, 'otp'] } }, { mergeWithLastSubmission: false });
    // Shown once, in this response: the codes are in no URL and no stored page.
    return renderStep(ctx, 'two-factor-ready', { backupCodes: outcome.backupCodes }, noProblems(), 200);
  }

  /** POST /interaction/:uid/second-factor: the code, the enrolment's first code, or "continue". */
  const handleSecondFactor: InteractionStep = async function handleSecondFactor(ctx) {
    const found = await pendingOf(ctx);
    // Nothing pending (the interaction was restarted, or the account went away): back to the start.
    if (!found) {
      ctx.status = 303;
      ctx.redirect(interactionPaths(interactionOf(ctx).uid).prompt);
      return;
    }
    const { pending, user } = found;
    if (pending.step === 'verify' || pending.step === 'enrol') {
      const limit = await limiter.hit(`second-factor:ip:${requestMeta(ctx).ip}`, secondFactorPerIp);
      if (!limit.allowed) {
        ctx.set('Retry-After', String(limit.retryAfterSeconds));
        const problem = formProblem(`Too many codes were tried from your network. Try again in ${inMinutes(limit.retryAfterSeconds)}.`, 'code');
        return pending.step === 'verify' ? renderVerify(ctx, false, problem, 429) : renderEnrol(ctx, pending, user, problem, 429);
      }
    }
    if (pending.step === 'verify') return verifyCode(ctx, pending, user);
    if (pending.step === 'enrol') return confirmEnrolment(ctx, pending, user);
    return finishLogin(ctx, user.id, pending.amr, ACR_TWO_FACTOR, pending.remember, pending);
  };

  return { afterPassword, afterFirstFactor, showLoginPrompt, handleSecondFactor };
}

