// /account/email: a signed-in person asks to change their address (password asked again); the
// new address gets a link, whose GET shows a button and whose POST makes the change, so mail
// scanners that prefetch links cannot spend it. The old address is told afterwards.
import { BusyError, MailDeliveryError } from '../errors.js';
import { ACCOUNT_PATHS } from '../paths.js';
import { formFields, formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { emailField, formProblem, type FormProblems, isWithinPasswordByteLimit, noProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { EmailChangeService } from '../services/email-change.js';
import { confirmByButton } from './confirm-by-button.js';
import { reauthenticationProblem } from './reauthentication-problems.js';
import { accountOf, type AccountContext, type AccountStep } from './steps.js';

type Field = 'email' | 'currentPassword';

export function createChangeEmailSteps(deps: { emailChange: EmailChangeService; renderer: Renderer; csrf: Csrf }) {
  const { emailChange, renderer, csrf } = deps;

  async function renderForm(ctx: AccountContext, typedEmail: string, problems: FormProblems<Field>, status: number): Promise<void> {
    await renderer.render(ctx, 'account/change-email', {
      title: 'Change your email address',
      action: ACCOUNT_PATHS.email,
      homePath: ACCOUNT_PATHS.home,
      currentEmail: accountOf(ctx).user.email,
      email: typedEmail,
      csrfToken: csrf.issue(ctx),
      errors: problems.summary,
      fieldErrors: problems.fields,
    }, status);
  }

  const showChangeEmail: AccountStep = async function showChangeEmail(ctx) {
    await renderForm(ctx, '', noProblems(), 200);
  };

  const handleChangeEmail: AccountStep = async function handleChangeEmail(ctx) {
    const fields = formFields(formOf(ctx));
    const typedEmail = (fields.email ?? '').slice(0, 320);
    const email = emailField.safeParse(fields.email ?? '');
    if (!email.success) return renderForm(ctx, typedEmail, formProblem(email.error.issues[0]!.message, 'email'), 400);
    const currentPassword = fields.currentPassword ?? '';
    if (currentPassword === '' || !isWithinPasswordByteLimit(currentPassword)) {
      return renderForm(ctx, typedEmail, formProblem('Enter your current password.', 'currentPassword'), 400);
    }
    let outcome;
    try {
      outcome = await emailChange.request(accountOf(ctx).user.id, currentPassword, email.data, requestMeta(ctx));
    } catch (error) {
      // Nothing changed; the person is told to try again in a few minutes.
      if (!(error instanceof MailDeliveryError) && !(error instanceof BusyError)) throw error;
      return renderForm(ctx, typedEmail, formProblem(error.message), 503);
    }
    if (!outcome.ok) {
      if (outcome.reason === 'same-address') return renderForm(ctx, typedEmail, formProblem('That is already your email address.', 'email'), 400);
      const { problems, status } = reauthenticationProblem(ctx, outcome);
      return renderForm(ctx, typedEmail, problems, status);
    }
    ctx.status = 303;
    ctx.redirect(ACCOUNT_PATHS.emailSent);
  };

  const showEmailSent: AccountStep = async function showEmailSent(ctx) {
    await renderer.render(ctx, 'account/change-email-sent', { title: 'Check your new inbox', homePath: ACCOUNT_PATHS.home });
  };

  const { showButton: showConfirmChange, useLink: handleConfirmChange } = confirmByButton(deps, {
    view: 'account/confirm-email-change',
    title: 'Confirm your new email address',
    action: ACCOUNT_PATHS.confirmEmail,
    donePath: ACCOUNT_PATHS.emailChanged,
    isUsable: (token) => emailChange.isUsable(token),
    async use(token, origin) {
      const outcome = await emailChange.confirm(token, origin);
      return outcome.ok || outcome.reason;
    },
    async renderInvalid(ctx, failure) {
      const message = failure === 'address-taken'
        ? 'Another account started using this address in the meantime, so your address was not changed.'
        : 'This confirmation link has expired, was already used, or is incomplete.';
      await renderer.render(ctx, 'account/change-email-invalid', { title: 'This link does not work', message, emailPath: ACCOUNT_PATHS.email }, 400);
    },
  });

  const showEmailChanged: AccountStep = async function showEmailChanged(ctx) {
    await renderer.render(ctx, 'account/email-changed', { title: 'Email address changed', homePath: ACCOUNT_PATHS.home });
  };

  return { showChangeEmail, handleChangeEmail, showEmailSent, showConfirmChange, handleConfirmChange, showEmailChanged };
}
