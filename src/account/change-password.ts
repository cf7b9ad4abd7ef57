// /account/password: a signed-in person changes their password. The current one is asked again;
// this browser stays signed in and every other session ends.
import { BusyError } from '../errors.js';
import { ACCOUNT_PATHS } from '../paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { formProblem, type FormProblems, isWithinPasswordByteLimit, noProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { PasswordChangeService } from '../services/password-change.js';
import { WeakPasswordError } from '../services/password-policy.js';
import { reauthenticationProblem } from './reauthentication-problems.js';
import { accountOf, type AccountContext, type AccountStep } from './steps.js';

type Field = 'currentPassword' | 'password';

export function createChangePasswordSteps(deps: { passwordChange: PasswordChangeService; renderer: Renderer; csrf: Csrf }) {
  const { passwordChange, renderer, csrf } = deps;

  async function renderForm(ctx: AccountContext, problems: FormProblems<Field>, status: number): Promise<void> {
    await renderer.render(ctx, 'account/change-password', {
      title: 'Change your password',
      action: ACCOUNT_PATHS.password,
      homePath: ACCOUNT_PATHS.home,
      csrfToken: csrf.issue(ctx),
      errors: problems.summary,
      fieldErrors: problems.fields,
    }, status);
  }

  const showChangePassword: AccountStep = async function showChangePassword(ctx) {
    await renderForm(ctx, noProblems(), 200);
  };

  const handleChangePassword: AccountStep = async function handleChangePassword(ctx) {
    const form = formOf(ctx);
    const currentPassword = form.get('currentPassword') ?? '';
    const password = form.get('password') ?? '';
    if (currentPassword === '') return renderForm(ctx, formProblem('Enter your current password.', 'currentPassword'), 400);
    if (password === '') return renderForm(ctx, formProblem('Choose a new password.', 'password'), 400);
    if (!isWithinPasswordByteLimit(currentPassword)) return renderForm(ctx, formProblem('That is not your current password.', 'currentPassword'), 400);
    if (!isWithinPasswordByteLimit(password)) return renderForm(ctx, formProblem('Choose a shorter password.', 'password'), 400);
    const { user, sessionId } = accountOf(ctx);
    let outcome;
    try {
      outcome = await passwordChange.change(user.id, currentPassword, password, sessionId, requestMeta(ctx));
    } catch (error) {
      if (error instanceof WeakPasswordError) return renderForm(ctx, formProblem(error.message, 'password'), 400);
      if (!(error instanceof BusyError)) throw error;
      return renderForm(ctx, formProblem(error.message), 503);
    }
    if (!outcome.ok) {
      const { problems, status } = reauthenticationProblem(ctx, outcome);
      return renderForm(ctx, problems, status);
    }
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATHS.home}?notice=password-changed`);
  };

  return { showChangePassword, handleChangePassword };
}
