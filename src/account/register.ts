// /account/register: email, name and password; then "check your inbox". The answer is the same
// for a new and a taken address (the service sends the owner a different mail instead).
import { z } from 'zod';
import { BusyError, RateLimitedError, ValidationError } from '../errors.js';
import { ACCOUNT_PATHS } from '../paths.js';
import { formFields, formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { emailField, formProblem, inMinutes, isWithinPasswordByteLimit, noProblems, problemsFromZod, type FormProblems } from '../http/form-problems.js';
import type { Journeys } from '../http/journey.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { PasswordPolicy } from '../services/password-policy.js';
import { InvitationInvalidError, type RegistrationService } from '../services/registration.js';
import type { AccountContext, AccountStep } from './steps.js';

const FIELDS = ['email', 'name', 'password'] as const;
type Field = (typeof FIELDS)[number];

// Password rules are users.create's (the password policy); here only presence and a hashing cap.
const registerSchema = z.object({
  email: emailField,
  name: z.string().trim().min(1, 'Enter your name.').max(200, 'Enter a name of at most 200 characters.'),
  password: z.string().min(1, 'Choose a password.').refine(isWithinPasswordByteLimit, 'Choose a shorter password.'),
});

interface Typed { email: string; name: string }

/** The invitation token carried by the link (GET) or the form (POST), if any. */
function invitationOf(ctx: AccountContext): string | undefined {
  const value = ctx.method === 'GET' ? ctx.query.invitation : formOf(ctx).get('invitation');
  return typeof value === 'string' && value !== '' ? value.slice(0, 64) : undefined;
}

function fieldOf(error: ValidationError): Field {
  const prefix = /^(email|name):/.exec(error.message)?.[1];
  return prefix === 'email' || prefix === 'name' ? prefix : 'password';
}

/** The policy's rules in words, shown before the first try (NIST 800-63B §3.1.1.2: no composition rules to list). */
export function passwordRules(policy: Pick<PasswordPolicy, 'minLength' | 'maxLength'>): string {
  return `Use ${policy.minLength} to ${policy.maxLength} characters; spaces and any symbols are fine. `
    + 'Avoid common passwords and anything containing your name or email address.';
}

export function createRegisterSteps(deps: {
  registration: RegistrationService; renderer: Renderer; csrf: Csrf; journeys: Journeys;
  passwordPolicy: Pick<PasswordPolicy, 'minLength' | 'maxLength'>;
}) {
  const { registration, renderer, csrf, journeys } = deps;
  const rules = passwordRules(deps.passwordPolicy);

  async function renderForm(ctx: AccountContext, typed: Typed, problems: FormProblems<Field>, status: number): Promise<void> {
    await renderer.render(ctx, 'account/register', {
      title: 'Create an account',
      action: ACCOUNT_PATHS.register,
      csrfToken: csrf.issue(ctx),
      invitation: invitationOf(ctx),
      email: typed.email,
      name: typed.name,
      errors: problems.summary,
      fieldErrors: problems.fields,
      passwordRules: rules,
      signIn: await journeys.signInLink(ctx),
    }, status);
  }

  async function renderInvitationInvalid(ctx: AccountContext): Promise<void> {
    await renderer.render(ctx, 'account/invitation-invalid', { title: 'This invitation does not work', message: new InvitationInvalidError().message }, 400);
  }

  /** Runs after the form is read, so an invitation in a POSTed form counts too. */
  const requireRegistrationOpen: AccountStep = async function requireRegistrationOpen(ctx, next) {
    registration.ensureOpen(invitationOf(ctx) !== undefined);
    await next();
  };

  const showRegister: AccountStep = async function showRegister(ctx) {
    // From the login page's "Create an account": remember its sign-in, to come back to it.
    await journeys.rememberFromQuery(ctx);
    const invitation = invitationOf(ctx);
    const invitedEmail = invitation ? await registration.invitedEmail(invitation) : '';
    if (invitedEmail === undefined) return renderInvitationInvalid(ctx);
    await renderForm(ctx, { email: invitedEmail, name: '' }, noProblems(), 200);
  };

  const handleRegister: AccountStep = async function handleRegister(ctx) {
    const fields = formFields(formOf(ctx));
    const invitation = invitationOf(ctx);
    if (invitation) {
      // The invited address is the one registered, whatever the (read-only) field says.
      const invitedEmail = await registration.invitedEmail(invitation);
      if (!invitedEmail) return renderInvitationInvalid(ctx);
      fields.email = invitedEmail;
    }
    const typed = { email: (fields.email ?? '').slice(0, 320), name: (fields.name ?? '').slice(0, 200) };
    const parsed = registerSchema.safeParse(fields);
    if (!parsed.success) return renderForm(ctx, typed, problemsFromZod(parsed.error, FIELDS), 400);
    let outcome;
    try {
      outcome = await registration.register({ ...parsed.data, locale: ctx.state.locale }, requestMeta(ctx), invitation, journeys.clientIdOf(ctx));
    } catch (error) {
      if (error instanceof InvitationInvalidError) return renderInvitationInvalid(ctx);
      if (error instanceof RateLimitedError) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        return renderForm(ctx, typed, formProblem(`${error.message} Try again in ${inMinutes(error.retryAfterSeconds)}.`), 429);
      }
      if (error instanceof ValidationError) return renderForm(ctx, typed, formProblem(error.message, fieldOf(error)), 400);
      if (!(error instanceof BusyError)) throw error;
      return renderForm(ctx, typed, formProblem(error.message), 503);
    }
    ctx.status = 303;
    if (outcome.invited) ctx.redirect(ACCOUNT_PATHS.registerDone);
    else ctx.redirect(ACCOUNT_PATHS.registerSent);
  };

  const showRegisterDone: AccountStep = async function showRegisterDone(ctx) {
    await renderer.render(ctx, 'account/register-done', { title: 'Your account is ready', end: await journeys.endOf(ctx) });
  };

  const showCheckInbox: AccountStep = async function showCheckInbox(ctx) {
    await renderer.render(ctx, 'account/check-inbox', {
      title: 'Check your inbox',
      resendPath: ACCOUNT_PATHS.resend,
      signIn: await journeys.signInLink(ctx),
    });
  };

  return { requireRegistrationOpen, showRegister, handleRegister, showCheckInbox, showRegisterDone };
}
