// /account/reset-password?token=…: the GET shows the new-password form (checking, not spending,
// the token); the POST spends it. A refused password shows the form again with the token kept.
import { BusyError } from '../errors.js';
import { ACCOUNT_PATHS } from '../paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { formProblem, type FormProblems, isWithinPasswordByteLimit, noProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { WeakPasswordError } from '../services/password-policy.js';
import type { PasswordResetService } from '../services/password-reset.js';
import type { JourneyEnd } from './journey-end.js';
import type { AccountContext, AccountStep } from './steps.js';

export function createResetPasswordSteps(deps: { passwordReset: PasswordResetService; renderer: Renderer; csrf: Csrf; journeyEnd: JourneyEnd }) {
  const { passwordReset, renderer, csrf, journeyEnd } = deps;

  async function renderInvalidLink(ctx: AccountContext): Promise<void> {
    await renderer.render(ctx, 'account/reset-link-invalid', {
      title: 'This link does not work',
      forgotPath: ACCOUNT_PATHS.forgotPassword,
    }, 400);
  }

  async function renderForm(ctx: AccountContext, token: string, problems: FormProblems<'password'>, status: number): Promise<void> {
    await renderer.render(ctx, 'account/reset-password', {
      title: 'Choose a new password',
      action: ACCOUNT_PATHS.resetPassword,
      csrfToken: csrf.issue(ctx),
      token,
      errors: problems.summary,
      fieldErrors: problems.fields,
    }, status);
  }

  const showResetPassword: AccountStep = async function showResetPassword(ctx) {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!(await passwordReset.isUsable(token))) return renderInvalidLink(ctx);
    await renderForm(ctx, token, noProblems(), 200);
  };

  const handleResetPassword: AccountStep = async function handleResetPassword(ctx) {
    const form = formOf(ctx);
    const token = form.get('token') ?? '';
    const password = form.get('password') ?? '';
    if (!(await passwordReset.isUsable(token))) return renderInvalidLink(ctx);
    if (password === '') return renderForm(ctx, token, formProblem('Choose a password.', 'password'), 400);
    if (!isWithinPasswordByteLimit(password)) return renderForm(ctx, token, formProblem('Choose a shorter password.', 'password'), 400);
    let done;
    try {
      done = await passwordReset.reset(token, password, requestMeta(ctx));
    } catch (error) {
      if (error instanceof WeakPasswordError) return renderForm(ctx, token, formProblem(error.message, 'password'), 400);
      if (!(error instanceof BusyError)) throw error;
      return renderForm(ctx, token, formProblem(error.message), 503);
    }
    if (!done) return renderInvalidLink(ctx);
    ctx.status = 303;
    ctx.redirect(await journeyEnd.afterLink(ctx, ACCOUNT_PATHS.resetPasswordDone, 'password-reset', done));
  };

  const showResetPasswordDone: AccountStep = async function showResetPasswordDone(ctx) {
    await renderer.render(ctx, 'account/reset-password-done', { title: 'Your password was changed', end: await journeyEnd.endOf(ctx) });
  };

  return { showResetPassword, handleResetPassword, showResetPasswordDone };
}
