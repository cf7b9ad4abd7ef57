// /account/forgot-password: one answer for known, unknown and disabled addresses (the service mails
// only active accounts); 429 with Retry-After past the per-address or per-IP limit.
import { z } from 'zod';
import { ACCOUNT_PATHS } from '../paths.js';
import { formFields, formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { emailField, formProblem, inMinutes, noProblems, problemsFromZod, type FormProblems } from '../http/form-problems.js';
import type { Journeys } from '../http/journey.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { PasswordResetService } from '../services/password-reset.js';
import type { AccountContext, AccountStep } from './steps.js';

const forgotSchema = z.object({
  email: emailField,
});

export function createForgotPasswordSteps(deps: { passwordReset: PasswordResetService; renderer: Renderer; csrf: Csrf; journeys: Journeys }) {
  const { passwordReset, renderer, csrf, journeys } = deps;

  async function renderForm(ctx: AccountContext, email: string, problems: FormProblems<'email'>, status: number): Promise<void> {
    await renderer.render(ctx, 'account/forgot-password', {
      title: 'Reset your password',
      action: ACCOUNT_PATHS.forgotPassword,
      csrfToken: csrf.issue(ctx),
      email,
      errors: problems.summary,
      fieldErrors: problems.fields,
      signIn: await journeys.signInLink(ctx),
    }, status);
  }

  const showForgotPassword: AccountStep = async function showForgotPassword(ctx) {
    // From the login page's "Forgot your password?": remember its sign-in, to come back to it.
    await journeys.rememberFromQuery(ctx);
    await renderForm(ctx, '', noProblems(), 200);
  };

  const handleForgotPassword: AccountStep = async function handleForgotPassword(ctx) {
    const fields = formFields(formOf(ctx));
    const typed = (fields.email ?? '').slice(0, 320);
    const parsed = forgotSchema.safeParse(fields);
    if (!parsed.success) return renderForm(ctx, typed, problemsFromZod(parsed.error, ['email'] as const), 400);
    const outcome = await passwordReset.request(parsed.data.email, requestMeta(ctx), journeys.clientIdOf(ctx));
    if (outcome.limited) {
      ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      const message = `Too many password reset requests. Please try again in ${inMinutes(outcome.retryAfterSeconds)}.`;
      return renderForm(ctx, typed, formProblem(message), 429);
    }
    ctx.status = 303;
    ctx.redirect(ACCOUNT_PATHS.forgotPasswordSent);
  };

  const showForgotPasswordSent: AccountStep = async function showForgotPasswordSent(ctx) {
    await renderer.render(ctx, 'account/forgot-password-sent', {
      title: 'Check your inbox', forgotPath: ACCOUNT_PATHS.forgotPassword, signIn: await journeys.signInLink(ctx),
    });
  };

  return { showForgotPassword, handleForgotPassword, showForgotPasswordSent };
}
