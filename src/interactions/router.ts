// The hosted pages oidc-provider sends people to: login (password, then a second factor) and
// consent for one interaction.
// Each route is a list of named steps (STYLE example 1); every POST re-reads the interaction.
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import { AppError } from '../errors.js';
import { parseForm } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { FederationCookies } from '../http/federation-cookie.js';
import type { Renderer } from '../http/render.js';
import type { Journeys } from '../http/journey.js';
import type { JourneyNotes } from '../http/journey-note.js';
import type { AuditLog } from '../services/audit.js';
import type { RegistrationService } from '../services/registration.js';
import type { FederatedAccounts } from '../services/federated-accounts.js';
import type { Upstream } from '../services/federation.js';
import type { TrustedDeviceService } from '../services/trusted-devices.js';
import type { TwoFactorService, TwoFactorSettings } from '../services/two-factor.js';
import type { RateLimit, RateLimiter } from '../services/rate-limiter.js';
import type { SignInService } from '../services/sign-in.js';
import type { UserService } from '../services/users.js';
import type { Organisations } from '../services/organisations.js';
import { APP_ACCESS_PROMPT } from '../oidc/app-access.js';
import type { Consents } from '../services/consents.js';
import { createAppAccessSteps } from './app-access.js';
import { createConsentSteps } from './consent.js';
import { createDeviceIdReader } from './device-cookie.js';
import { createFederatedSteps, createIdentityLinker } from './federated.js';
import { finishInteraction } from './finish.js';
import { expectPrompt, interactionOf, loadInteraction, type InteractionState, type InteractionStep, type StepContext } from './load-interaction.js';
import { createLoginSteps } from './login.js';
import { createSecondFactorSteps } from './second-factor.js';
import { createTrustedDeviceCookie } from './trusted-device-cookie.js';

export interface InteractionRouterDeps {
  provider: Provider;
  users: UserService;
  audit: AuditLog;
  renderer: Renderer;
  csrf: Csrf;
  /** Password sign-in: the login guard, the check and its audit rows. */
  signIn: SignInService;
  twoFactor: TwoFactorService;
  trustedDevices: TrustedDeviceService;
  twoFactorSettings: TwoFactorSettings;
  /** The issuer is https: cookies get Secure and the __Host- prefix. */
  secureCookies: boolean;
  limiter: RateLimiter;
  secondFactorPerIp: RateLimit;
  /** After every completed sign-in: new-device alerts (services/sign-in-alerts.ts). */
  onSignedIn: (ctx: StepContext, accountId: string) => Promise<void>;
  /** Configured upstream identity providers: one button each on the login page. */
  upstreams: readonly Upstream[];
  federatedAccounts: FederatedAccounts;
  federationCookies: FederationCookies;
  /** The organisation an app asks for, named on the consent page. */
  organisations: Pick<Organisations, 'find'>;
  /** An app's logo_uri when its origin is allowed by the branding settings (http/branding.ts). */
  appLogo: (logoUri: unknown) => string | null;
  /** The login page's links to registration and reset come back here (http/journey.ts). */
  journeys: Journeys;
  journeyNotes: JourneyNotes;
  /** "Create an account" shows only while anyone may register. */
  registration: Pick<RegistrationService, 'isOpenToAll'>;
  /** The person's answer on the consent page, remembered per app. */
  consents: Pick<Consents, 'remember'>;
}

export function createInteractionRouter(deps: InteractionRouterDeps): Router<InteractionState> {
  const { provider, csrf } = deps;
  const secondFactor = createSecondFactorSteps({
    ...deps, deviceCookie: createTrustedDeviceCookie({ secure: deps.secureCookies }), linkIdentity: createIdentityLinker(deps),
  });
  const readDeviceId = createDeviceIdReader({ secure: deps.secureCookies });
  const federated = createFederatedSteps({ ...deps, readDeviceId, cookies: deps.federationCookies, afterFirstFactor: secondFactor.afterFirstFactor });
  const { showLogin, handleLogin } = createLoginSteps({ ...deps, readDeviceId, afterPassword: secondFactor.afterPassword });
  const showLoginPrompt = federated.showLinkOr(secondFactor.showLoginPrompt(showLogin));
  const { showConsent, handleConsent } = createConsentSteps(deps);
  const { showNoAccess, returnWithoutAccess } = createAppAccessSteps(deps);
  const load = loadInteraction(provider);
  const readForm = parseForm();

  const showPrompt: InteractionStep = async function showPrompt(ctx, next) {
    const { name } = interactionOf(ctx).prompt;
    if (name === 'login') return showLoginPrompt(ctx, next);
    if (name === 'consent') return showConsent(ctx, next);
    if (name === APP_ACCESS_PROMPT) return showNoAccess(ctx, next);
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
  router.post('/interaction/:uid/no-access', readForm, csrf.verify, load, expectPrompt(APP_ACCESS_PROMPT), returnWithoutAccess);
  router.post('/interaction/:uid/abort', readForm, csrf.verify, load, abortInteraction);
  router.post('/interaction/:uid/federated', readForm, csrf.verify, load, expectPrompt('login'), federated.startFederatedLogin);
  router.get('/interaction/:uid/federated', load, expectPrompt('login'), federated.continueFederatedLogin);
  router.post('/interaction/:uid/federated/link', readForm, csrf.verify, load, expectPrompt('login'), federated.handleLink);
  router.post('/interaction/:uid/federated/cancel', readForm, csrf.verify, load, expectPrompt('login'), federated.cancelLink);
  return router;
}
