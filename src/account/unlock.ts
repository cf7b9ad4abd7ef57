// /account/unlock?token=…: the link mailed when an account is locked after failed sign-ins. The
// GET only shows a button; the POST spends the link, so mail scanners cannot.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import type { LoginGuard } from '../services/login-guard.js';
import { confirmByButton } from './confirm-by-button.js';
import type { JourneyEnd } from './journey-end.js';
import type { AccountStep } from './steps.js';

export function createUnlockSteps(deps: { loginGuard: LoginGuard; renderer: Renderer; csrf: Csrf; journeyEnd: JourneyEnd }) {
  const { loginGuard, renderer, journeyEnd } = deps;

  const { showButton: showUnlock, useLink: handleUnlock } = confirmByButton(deps, {
    view: 'account/unlock',
    title: 'Unlock your account',
    action: ACCOUNT_PATHS.unlock,
    // The lock was met on the login page, which remembered its sign-in in this browser.
    donePath: (ctx) => journeyEnd.afterLink(ctx, ACCOUNT_PATHS.unlocked, 'unlocked', { clientId: null }),
    isUsable: (token) => loginGuard.isUnlockLinkUsable(token),
    use: (token, origin) => loginGuard.unlockWithLink(token, origin),
    async renderInvalid(ctx) {
      await renderer.render(ctx, 'account/unlock-invalid', { title: 'This link does not work', forgotPath: ACCOUNT_PATHS.forgotPassword }, 400);
    },
  });

  const showUnlocked: AccountStep = async function showUnlocked(ctx) {
    await renderer.render(ctx, 'account/unlocked', { title: 'Your account is unlocked', end: await journeyEnd.endOf(ctx) });
  };

  return { showUnlock, handleUnlock, showUnlocked };
}
