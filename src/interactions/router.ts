// The hosted pages oidc-provider sends people to: login (password, then a second factor) and
// consent for one interaction.
// Each route is a list of named steps (STYLE example 1); every POST re-reads the interaction.
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import { AppError } from '../errors.js';
import { parseForm } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import type { AuditLog } from '../services/audit.js';
import type { TrustedDeviceService } from '../services/trusted-devices.js';
import type { TwoFactorService, TwoFactorSettings } from '../services/two-factor.js';
import type { UserService } from '../services/users.js';
import { createConsentSteps } from './consent.js';
import { finishInteraction } from './finish.js';
import { expectPrompt, interactionOf, loadInteraction, type InteractionState, type InteractionStep } from './load-interaction.js';
import { createLoginSteps } from './login.js';
import { createSecondFactorSteps } from './second-factor.js';
import { createTrustedDeviceCookie } from './trusted-device-cookie.js';

export interface InteractionRouterDeps {
  provider: Provider;
  users: UserService;
  audit: AuditLog;
  renderer: Renderer;
  csrf: Csrf;
  /** emailVerification.loginPolicy: whether an account with an unconfirmed email may sign in. */
  loginPolicy: 'block' | 'allow';
  twoFactor: TwoFactorService;
  trustedDevices: TrustedDeviceService;
  twoFactorSettings: TwoFactorSettings;
  /** The issuer is https: cookies get Secure and the __Host- prefix. */
  secureCookies: boolean;
}

export function createInteractionRouter(deps: InteractionRouterDeps): Router<InteractionState> {
  const { provider, csrf } = deps;
  const secondFactor = createSecondFactorSteps({ ...deps, deviceCookie: createTrustedDeviceCookie({ secure: deps.secureCookies }) });
  const { showLogin, handleLogin } = createLoginSteps({ ...deps, afterPassword: secondFactor.afterPassword });
  const showLoginPrompt = secondFactor.showLoginPrompt(showLogin);
  const { showConsent, handleConsent } = createConsentSteps(deps);
  const load = loadInteraction(provider);
  const readForm = parseForm();

  const showPrompt: InteractionStep = async function showPrompt(ctx, next) {
    const { name } = interactionOf(ctx).prompt;
    if (name === 'login') return showLoginPrompt(ctx, next);
    if (name === 'consent') return showConsent(ctx, next);
    throw new AppError('This sign-in step is not supported.', { status: 400, code: 'unsupported_prompt' });
  };

  const abortInteraction: InteractionStep = async function abortInteraction(ctx) {
    await finishInteraction(ctx, provider, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  };

  const router = new Router<InteractionState>();
  router.get('/interaction/:uid', load, showPrompt);
  router.post('/interaction/:uid/login', readForm, csrf.verify, load, expectPrompt('login'), handleLogin);
  router.post('/interaction/:uid/second-factor', readForm, csrf.verify, load, expectPrompt('login'), secondFactor.handleSecondFactor);
  router.post('/interaction/:uid/confirm', readForm, csrf.verify, load, expectPrompt('consent'), handleConsent);
  router.post('/interaction/:uid/abort', readForm, csrf.verify, load, abortInteraction);
  return router;
}
