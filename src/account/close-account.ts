// /account/close: deactivate (reversible, per accounts.reactivation) or delete (for good) the
// signed-in account. Both ask for the password; deletion also asks the person to type DELETE,
// so a stray click cannot do it.
import { BusyError } from '../errors.js';
import { ACCOUNT_PATHS } from '../paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { formProblem, type FormProblems, isWithinPasswordByteLimit, noProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { AccountClosureOutcome, AccountClosureService } from '../services/account-closure.js';
import type { RequestOrigin } from '../services/audit.js';
import { reauthenticationProblem } from './reauthentication-problems.js';
import { accountOf, type AccountContext, type AccountStep } from './steps.js';

type Action = 'deactivate' | 'delete';
type Field = 'currentPassword' | 'confirmation';

export function createCloseAccountSteps(deps: { accountClosure: AccountClosureService; renderer: Renderer; csrf: Csrf }) {
  const { accountClosure, renderer, csrf } = deps;

  // Both forms have a password field, so each has its own element id for the summary to link to.
  function problemsFor(action: Action, failed: { action: Action; problems: FormProblems<Field> } | undefined): FormProblems<string> {
    if (failed?.action !== action) return noProblems();
    const summary = failed.problems.summary.map((problem) => ({
      ...problem, field: problem.field === 'currentPassword' ? `${action}-password` : problem.field,
    }));
    return { summary, fields: failed.problems.fields };
  }

  async function renderForm(ctx: AccountContext, failed: { action: Action; problems: FormProblems<Field> } | undefined, status: number): Promise<void> {
    await renderer.render(ctx, 'account/close', {
      title: 'Close your account',
      homePath: ACCOUNT_PATHS.home,
      reactivation: accountClosure.reactivationWords,
      csrfToken: csrf.issue(ctx),
      deactivate: { action: ACCOUNT_PATHS.deactivate, ...problemsFor('deactivate', failed) },
      remove: { action: ACCOUNT_PATHS.delete, ...problemsFor('delete', failed) },
    }, status);
  }

  const showClose: AccountStep = async function showClose(ctx) {
    await renderForm(ctx, undefined, 200);
  };

  function closeStep(action: Action, run: (userId: string, password: string, origin: RequestOrigin) => Promise<AccountClosureOutcome>): AccountStep {
    return async function handleClose(ctx) {
      const form = formOf(ctx);
      const password = form.get('currentPassword') ?? '';
      const fail = (problems: FormProblems<Field>, status: number) => renderForm(ctx, { action, problems }, status);
      if (password === '' || !isWithinPasswordByteLimit(password)) return fail(formProblem('Enter your current password.', 'currentPassword'), 400);
      if (action === 'delete' && (form.get('confirmation') ?? '').trim() !== 'DELETE') {
        return fail(formProblem('Type DELETE to confirm that the account should be deleted.', 'confirmation'), 400);
      }
      let outcome;
      try {
        outcome = await run(accountOf(ctx).user.id, password, requestMeta(ctx));
      } catch (error) {
        if (!(error instanceof BusyError)) throw error;
        return fail(formProblem(error.message), 503);
      }
      if (!outcome.ok) {
        const { problems, status } = reauthenticationProblem(ctx, outcome);
        return fail(problems, status);
      }
      ctx.status = 303;
      ctx.redirect(`${ACCOUNT_PATHS.closed}?action=${action === 'delete' ? 'deleted' : 'deactivated'}`);
    };
  }

  const handleDeactivate = closeStep('deactivate', (userId, password, origin) => accountClosure.deactivate(userId, password, origin));
  const handleDelete = closeStep('delete', (userId, password, origin) => accountClosure.remove(userId, password, origin));

  const showClosed: AccountStep = async function showClosed(ctx) {
    const deleted = ctx.query.action === 'deleted';
    await renderer.render(ctx, 'account/closed', {
      title: deleted ? 'Your account was deleted' : 'Your account was deactivated',
      deleted,
      reactivation: accountClosure.reactivationWords,
    });
  };

  return { showClose, handleDeactivate, handleDelete, showClosed };
}
