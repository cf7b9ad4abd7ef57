// /account/email/undo?token=…: the old address's link in the email-changed notice. The GET shows
// what will happen and a button (mail scanners that prefetch links cannot spend it); the POST
// gives the address back, signs the account out everywhere, blocks the password and mails a reset link.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import type { EmailChangeUndo } from '../services/email-change-undo.js';
import { confirmByButton } from './confirm-by-button.js';
import type { AccountStep } from './steps.js';

export function createUndoEmailChangeSteps(deps: { emailChangeUndo: EmailChangeUndo; renderer: Renderer; csrf: Csrf }) {
  const { emailChangeUndo, renderer } = deps;

  const { showButton: showUndo, useLink: handleUndo } = confirmByButton(deps, {
    view: 'account/undo-email-change',
    title: 'Give your email address back',
    action: ACCOUNT_PATHS.undoEmailChange,
    donePath: ACCOUNT_PATHS.undoEmailChangeDone,
    isUsable: (token) => emailChangeUndo.isUsable(token),
    use: (token, origin) => emailChangeUndo.undo(token, origin),
    async renderInvalid(ctx, failure) {
      const message = failure === 'address-taken'
        ? 'Another account uses your old address now, so it cannot be given back. Contact the administrator to recover your account.'
        : 'This link has expired, was already used, or is incomplete. Links to undo an email change work once, for a week.';
      await renderer.render(ctx, 'account/undo-email-change-invalid', { title: 'This link does not work', message }, 400);
    },
  });

  const showUndoDone: AccountStep = async function showUndoDone(ctx) {
    await renderer.render(ctx, 'account/undo-email-change-done', { title: 'Your email address is back', forgotPath: ACCOUNT_PATHS.forgotPassword });
  };

  return { showUndo, handleUndo, showUndoDone };
}
