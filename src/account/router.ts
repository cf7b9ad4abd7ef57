// Self-service pages: registration, email verification and password reset, and the
// signed-in account pages. Each route is a list of named steps; every form is CSRF-checked
// before anything else reads it, and every signed-in page starts with requireSignedIn.
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import { ACCOUNT_PATHS } from '../paths.js';
import { parseForm } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { FederationCookies } from '../http/federation-cookie.js';
import type { Journeys } from '../http/journey.js';
import type { JourneyNotes } from '../http/journey-note.js';
import type { Renderer } from '../http/render.js';
import type { AuditLog } from '../services/audit.js';
import type { AccountClosureService } from '../services/account-closure.js';
import type { Consents } from '../services/consents.js';
import type { EmailChangeService } from '../services/email-change.js';
import type { EmailChangeUndo } from '../services/email-change-undo.js';
import type { EmailVerificationService } from '../services/email-verification.js';
import type { FederatedAccounts } from '../services/federated-accounts.js';
import type { Upstream } from '../services/federation.js';
import type { PasswordChangeService } from '../services/password-change.js';
import type { PasswordPolicy } from '../services/password-policy.js';
import type { PasswordResetService } from '../services/password-reset.js';
import type { PersonalAccessTokens } from '../services/personal-access-tokens.js';
import type { Reauthenticate } from '../services/reauthentication.js';
import type { RegistrationService } from '../services/registration.js';
import type { TrustedDeviceService } from '../services/trusted-devices.js';
import type { TwoFactorService } from '../services/two-factor.js';
import type { LoginGuard } from '../services/login-guard.js';
import type { SessionService } from '../services/sessions.js';
import type { SignInAlerts } from '../services/sign-in-alerts.js';
import type { UserService } from '../services/users.js';
import { createAccountSession } from './account-session.js';
import { createAppsSteps } from './apps.js';
import { createChangeEmailSteps } from './change-email.js';
import { createChangePasswordSteps } from './change-password.js';
import { createCloseAccountSteps } from './close-account.js';
import { createForgotPasswordSteps } from './forgot-password.js';
import type { Organisations } from '../services/organisations.js';
import type { RolesAndGroups } from '../services/roles-and-groups.js';
import { createHomeSteps } from './home.js';
import { createJourneyEnd } from './journey-end.js';
import { createRegisterSteps } from './register.js';
import { createResendSteps } from './resend-verification.js';
import { createResetPasswordSteps } from './reset-password.js';
import type { createSessionStream } from './session-stream.js';
import { createSessionsSteps } from './sessions.js';
import { createSignInMethodsSteps } from './sign-in-methods.js';
import type { AccountState } from './steps.js';
import { createTwoFactorSteps } from './two-factor.js';
import { createNotMeSteps } from './not-me.js';
import { createUndoEmailChangeSteps } from './undo-email-change.js';
import { createPersonalTokensSteps } from './personal-tokens.js';
import { createUnlockSteps } from './unlock.js';
import { createVerifyEmailSteps } from './verify-email.js';
import { createJoinOrganisationSteps } from './join-organisation.js';
import type { OrganisationInvitations } from '../services/organisation-invitations.js';

export interface AccountRouterDeps {
  registration: RegistrationService;
  emailVerification: EmailVerificationService;
  passwordReset: PasswordResetService;
  passwordChange: PasswordChangeService;
  emailChange: EmailChangeService;
  emailChangeUndo: EmailChangeUndo;
  accountClosure: AccountClosureService;
  twoFactor: TwoFactorService;
  trustedDevices: TrustedDeviceService;
  reauthenticate: Reauthenticate;
  audit: AuditLog;
  users: UserService;
  loginGuard: LoginGuard;
  signInAlerts: SignInAlerts;
  provider: Provider;
  issuer: string;
  renderer: Renderer;
  csrf: Csrf;
  sessions: SessionService;
  /** GET /account/events, built by app.ts (which ends its streams at shutdown). */
  sessionStream: ReturnType<typeof createSessionStream>;
  expiryWarningSeconds: number;
  /** Upstream identity providers: the sign-in methods page links and unlinks them. */
  upstreams: readonly Upstream[];
  federatedAccounts: FederatedAccounts;
  federationCookies: FederationCookies;
  /** Invitations into organisations: the mailed link's page. */
  organisationInvitations: OrganisationInvitations;
  personalTokens: PersonalAccessTokens;
  /** The apps the person allowed (/account/apps). */
  consents: Consents;
  /** The home page shows the person's roles, groups and organisations. */
  rolesAndGroups: Pick<RolesAndGroups, 'effectiveAccessOf'>;
  organisations: Pick<Organisations, 'membershipsOf'>;
  /** Where register, verify, reset and unlock end: the sign-in that sent the person here, or its app. */
  journeys: Journeys;
  journeyNotes: JourneyNotes;
  /** The registration form states the rules before the first try. */
  passwordPolicy: Pick<PasswordPolicy, 'minLength' | 'maxLength'>;
}

export function createAccountRouter(deps: AccountRouterDeps): Router<AccountState> {
  const { csrf } = deps;
  const journeyEnd = createJourneyEnd(deps);
  const register = createRegisterSteps(deps);
  const verify = createVerifyEmailSteps({ ...deps, journeyEnd });
  const resend = createResendSteps(deps);
  const forgot = createForgotPasswordSteps(deps);
  const reset = createResetPasswordSteps({ ...deps, journeyEnd });
  const session = createAccountSession(deps);
  const home = createHomeSteps(deps);
  const password = createChangePasswordSteps(deps);
  const email = createChangeEmailSteps(deps);
  const close = createCloseAccountSteps(deps);
  const twoFactor = createTwoFactorSteps(deps);
  const sessions = createSessionsSteps(deps);
  const unlock = createUnlockSteps({ ...deps, journeyEnd });
  const notMe = createNotMeSteps(deps);
  const undoEmail = createUndoEmailChangeSteps(deps);
  const signInMethods = createSignInMethodsSteps(deps);
  const join = createJoinOrganisationSteps(deps);
  const personalTokens = createPersonalTokensSteps(deps);
  const apps = createAppsSteps(deps);
  const readForm = parseForm();
  const signedIn = session.requireSignedIn;

  const router = new Router<AccountState>();
  // Every answer here is about one person (or carries a one-time link's state): never cached.
  router.use(async function noStore(ctx, next) {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.get(ACCOUNT_PATHS.register, register.requireRegistrationOpen, register.showRegister);
  router.post(ACCOUNT_PATHS.register, readForm, csrf.verify, register.requireRegistrationOpen, register.handleRegister);
  router.get(ACCOUNT_PATHS.registerSent, register.showCheckInbox);
  router.get(ACCOUNT_PATHS.registerDone, register.showRegisterDone);
  router.get(ACCOUNT_PATHS.verifyEmail, verify.showConfirm);
  router.post(ACCOUNT_PATHS.verifyEmail, readForm, csrf.verify, verify.handleConfirm);
  router.get(ACCOUNT_PATHS.verified, verify.showVerified);
  router.get(ACCOUNT_PATHS.resend, resend.showResend);
  router.post(ACCOUNT_PATHS.resend, readForm, csrf.verify, resend.handleResend);
  router.get(ACCOUNT_PATHS.resendSent, resend.showResendSent);
  router.get(ACCOUNT_PATHS.forgotPassword, forgot.showForgotPassword);
  router.post(ACCOUNT_PATHS.forgotPassword, readForm, csrf.verify, forgot.handleForgotPassword);
  router.get(ACCOUNT_PATHS.forgotPasswordSent, forgot.showForgotPasswordSent);
  router.get(ACCOUNT_PATHS.resetPassword, reset.showResetPassword);
  router.post(ACCOUNT_PATHS.resetPassword, readForm, csrf.verify, reset.handleResetPassword);
  router.get(ACCOUNT_PATHS.resetPasswordDone, reset.showResetPasswordDone);

  router.get(ACCOUNT_PATHS.unlock, unlock.showUnlock);
  router.post(ACCOUNT_PATHS.unlock, readForm, csrf.verify, unlock.handleUnlock);
  router.get(ACCOUNT_PATHS.unlocked, unlock.showUnlocked);
  router.get(ACCOUNT_PATHS.notMe, notMe.showNotMe);
  router.post(ACCOUNT_PATHS.notMe, readForm, csrf.verify, notMe.handleNotMe);
  router.get(ACCOUNT_PATHS.notMeDone, notMe.showNotMeDone);
  router.get(ACCOUNT_PATHS.undoEmailChange, undoEmail.showUndo);
  router.post(ACCOUNT_PATHS.undoEmailChange, readForm, csrf.verify, undoEmail.handleUndo);
  router.get(ACCOUNT_PATHS.undoEmailChangeDone, undoEmail.showUndoDone);

  router.get(ACCOUNT_PATHS.signIn, session.startSignIn);
  router.get(ACCOUNT_PATHS.joinOrganisation, join.keepToken, signedIn, join.showInvitation);
  router.post(ACCOUNT_PATHS.joinOrganisation, readForm, csrf.verify, signedIn, join.acceptInvitation);
  router.get(ACCOUNT_PATHS.signedIn, session.finishSignIn);
  router.get(ACCOUNT_PATHS.home, signedIn, home.showHome);
  router.post(ACCOUNT_PATHS.profile, readForm, csrf.verify, signedIn, home.handleProfile);
  router.get(ACCOUNT_PATHS.password, signedIn, password.showChangePassword);
  router.post(ACCOUNT_PATHS.password, readForm, csrf.verify, signedIn, password.handleChangePassword);
  router.get(ACCOUNT_PATHS.email, signedIn, email.showChangeEmail);
  router.post(ACCOUNT_PATHS.email, readForm, csrf.verify, signedIn, email.handleChangeEmail);
  router.get(ACCOUNT_PATHS.emailSent, signedIn, email.showEmailSent);
  // The link proves control of the new mailbox; it may be opened where nobody is signed in.
  router.get(ACCOUNT_PATHS.confirmEmail, email.showConfirmChange);
  router.post(ACCOUNT_PATHS.confirmEmail, readForm, csrf.verify, email.handleConfirmChange);
  router.get(ACCOUNT_PATHS.emailChanged, email.showEmailChanged);
  router.get(ACCOUNT_PATHS.close, signedIn, close.showClose);
  router.post(ACCOUNT_PATHS.deactivate, readForm, csrf.verify, signedIn, close.handleDeactivate);
  router.post(ACCOUNT_PATHS.delete, readForm, csrf.verify, signedIn, close.handleDelete);
  router.get(ACCOUNT_PATHS.closed, close.showClosed);
  router.get(ACCOUNT_PATHS.twoFactor, signedIn, twoFactor.showTwoFactor);
  router.get(ACCOUNT_PATHS.twoFactorEnrol, signedIn, twoFactor.showEnrolment);
  router.post(ACCOUNT_PATHS.twoFactorEnrol, readForm, csrf.verify, signedIn, twoFactor.startEnrolment);
  router.post(ACCOUNT_PATHS.twoFactorConfirm, readForm, csrf.verify, signedIn, twoFactor.confirmEnrolment);
  router.post(ACCOUNT_PATHS.backupCodes, readForm, csrf.verify, signedIn, twoFactor.regenerateBackupCodes);
  router.post(ACCOUNT_PATHS.twoFactorDisable, readForm, csrf.verify, signedIn, twoFactor.disableTwoFactor);
  router.post(ACCOUNT_PATHS.forgetDevice, readForm, csrf.verify, signedIn, twoFactor.revokeDevice);
  router.post(ACCOUNT_PATHS.forgetAllDevices, readForm, csrf.verify, signedIn, twoFactor.revokeAllDevices);
  router.get(ACCOUNT_PATHS.sessions, signedIn, sessions.showSessions);
  router.post(ACCOUNT_PATHS.endSession, readForm, csrf.verify, signedIn, sessions.endOneSession);
  router.post(ACCOUNT_PATHS.endOtherSessions, readForm, csrf.verify, signedIn, sessions.endOtherSessions);
  router.get(ACCOUNT_PATHS.events, signedIn, deps.sessionStream.streamSessionEvents);
  router.get(ACCOUNT_PATHS.signInMethods, signedIn, signInMethods.showSignInMethods);
  router.post(ACCOUNT_PATHS.linkProvider, readForm, csrf.verify, signedIn, signInMethods.startLink);
  router.post(ACCOUNT_PATHS.unlinkProvider, readForm, csrf.verify, signedIn, signInMethods.unlink);
  router.get(ACCOUNT_PATHS.personalTokens, signedIn, personalTokens.showTokens);
  router.post(ACCOUNT_PATHS.personalTokens, readForm, csrf.verify, signedIn, personalTokens.createToken);
  router.post(ACCOUNT_PATHS.revokePersonalToken, readForm, csrf.verify, signedIn, personalTokens.revokeToken);
  router.get(ACCOUNT_PATHS.apps, signedIn, apps.showApps);
  router.post(ACCOUNT_PATHS.removeApp, readForm, csrf.verify, signedIn, apps.removeApp);
  return router;
}
