// /account/not-me?token=…: the "this wasn't me" link of a new-sign-in mail. The GET shows what
// will happen and a button; the POST signs the account out everywhere, blocks the password and
// mails a reset link.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import type { SignInAlerts } from '../services/sign-in-alerts.js';
import { confirmByButton } from './confirm-by-button.js';
import type { AccountStep } from './steps.js';

export function createNotMeSteps(deps: { signInAlerts: SignInAlerts; renderer: Renderer; csrf: Csrf }) {
  const { signInAlerts, renderer } = deps;

  const { showButton: showNotMe, useLink: handleNotMe } = confirmByButton(deps, {
    view: 'account/not-me',
    title: 'Secure your account',
    action: ACCOUNT_PATHS.notMe,
    donePath: ACCOUNT_PATHS.notMeDone,
    isUsable: (token) => signInAlerts.isNotMeLinkUsable(token),
    use: (token, origin) => signInAlerts.notMe(token, origin),
    async renderInvalid(ctx) {
      await renderer.render(ctx, 'account/not-me-invalid', { title: 'This link does not work', forgotPath: ACCOUNT_PATHS.forgotPassword }, 400);
    },
  });

  const showNotMeDone: AccountStep = async function showNotMeDone(ctx) {
    await renderer.render(ctx, 'account/not-me-done', { title: 'Your account was signed out everywhere', forgotPath: ACCOUNT_PATHS.forgotPassword });
  };

  return { showNotMe, handleNotMe, showNotMeDone };
}
