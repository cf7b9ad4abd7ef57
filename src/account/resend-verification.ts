// /account/verify-email/resend: one answer for known, unknown and already verified addresses;
// 429 with Retry-After past the per-address or per-IP limit.
import { z } from 'zod';
import { ACCOUNT_PATHS } from '../paths.js';
import { formFields, formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { emailField, formProblem, inMinutes, noProblems, problemsFromZod, type FormProblems } from '../http/form-problems.js';
import type { Journeys } from '../http/journey.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { EmailVerificationService } from '../services/email-verification.js';
import type { AccountContext, AccountStep } from './steps.js';

const resendSchema = z.object({
  email: emailField,
});

export function createResendSteps(deps: { emailVerification: EmailVerificationService; renderer: Renderer; csrf: Csrf; journeys: Journeys }) {
  const { emailVerification, renderer, csrf, journeys } = deps;

  async function renderForm(ctx: AccountContext, email: string, problems: FormProblems<'email'>, status: number): Promise<void> {
    await renderer.render(ctx, 'account/resend', {
      title: 'Send the confirmation email again',
      action: ACCOUNT_PATHS.resend,
      csrfToken: csrf.issue(ctx),
      email,
      errors: problems.summary,
      fieldErrors: problems.fields,
    }, status);
  }

  const showResend: AccountStep = async function showResend(ctx) {
    await renderForm(ctx, '', noProblems(), 200);
  };

  const handleResend: AccountStep = async function handleResend(ctx) {
    const fields = formFields(formOf(ctx));
    const typed = (fields.email ?? '').slice(0, 320);
    const parsed = resendSchema.safeParse(fields);
    if (!parsed.success) return renderForm(ctx, typed, problemsFromZod(parsed.error, ['email'] as const), 400);
    const outcome = await emailVerification.resend(parsed.data.email, requestMeta(ctx), journeys.clientIdOf(ctx));
    if (outcome.limited) {
      ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      const message = `Too many requests for a confirmation email. Please try again in ${inMinutes(outcome.retryAfterSeconds)}.`;
      return renderForm(ctx, typed, formProblem(message), 429);
    }
    ctx.status = 303;
    ctx.redirect(ACCOUNT_PATHS.resendSent);
  };

  const showResendSent: AccountStep = async function showResendSent(ctx) {
    await renderer.render(ctx, 'account/resend-sent', { title: 'Check your inbox', resendPath: ACCOUNT_PATHS.resend, signIn: await journeys.signInLink(ctx) });
  };

  return { showResend, handleResend, showResendSent };
}
