// Every public path Gatehouse serves beyond oidc-provider's own endpoints, in one table: the routes
// that serve them, the services whose mails link to them and the config that names them all read it.

// Self-service pages.
export const ACCOUNT_PATHS = {
  register: '/account/register',
  registerSent: '/account/register/check-inbox',
  registerDone: '/account/register/done',
  verifyEmail: '/account/verify-email',
  verified: '/account/verify-email/done',
  resend: '/account/verify-email/resend',
  resendSent: '/account/verify-email/resend/sent',
  forgotPassword: '/account/forgot-password',
  forgotPasswordSent: '/account/forgot-password/sent',
  resetPassword: '/account/reset-password',
  resetPasswordDone: '/account/reset-password/done',
  home: '/account',
  signIn: '/account/sign-in',
  signedIn: '/account/signed-in',
  profile: '/account/profile',
  password: '/account/password',
  email: '/account/email',
  emailSent: '/account/email/sent',
  confirmEmail: '/account/email/confirm',
  emailChanged: '/account/email/changed',
  /** The old address's link in the email-changed notice: gives the address back. */
  undoEmailChange: '/account/email/undo',
  undoEmailChangeDone: '/account/email/undo/done',
  close: '/account/close',
  deactivate: '/account/deactivate',
  delete: '/account/delete',
  closed: '/account/closed',
  unlock: '/account/unlock',
  unlocked: '/account/unlock/done',
  notMe: '/account/not-me',
  notMeDone: '/account/not-me/done',
  twoFactor: '/account/two-factor',
  twoFactorEnrol: '/account/two-factor/enrol',
  twoFactorConfirm: '/account/two-factor/enrol/confirm',
  backupCodes: '/account/two-factor/backup-codes',
  twoFactorDisable: '/account/two-factor/disable',
  forgetDevice: '/account/two-factor/devices/forget',
  forgetAllDevices: '/account/two-factor/devices/forget-all',
  sessions: '/account/sessions',
  endSession: '/account/sessions/end',
  endOtherSessions: '/account/sessions/end-others',
  events: '/account/events',
  signInMethods: '/account/sign-in-methods',
  /** The link of an invitation into an organisation. */
  joinOrganisation: '/account/organisations/join',
  linkProvider: '/account/sign-in-methods/link',
  unlinkProvider: '/account/sign-in-methods/unlink',
  personalTokens: '/account/tokens',
  revokePersonalToken: '/account/tokens/revoke',
  /** The apps the person allowed, and "Remove access". */
  apps: '/account/apps',
  removeApp: '/account/apps/remove',
} as const;

/**
 * The account pages sign people in through Gatehouse itself, as a relying party of its own: a
 * built-in public client (PKCE, no secret) whose only redirect is the account callback.
 */
export const ACCOUNT_CLIENT_ID = 'gatehouse-account';

export function accountCallbackUrl(issuer: string): string {
  return `${issuer}${ACCOUNT_PATHS.signedIn}`;
}

// The admin console: pages signed in through Gatehouse itself as the built-in admin client, for
// accounts that hold the admin role. `:id` segments are filled in by adminConsolePath().
export const ADMIN_CONSOLE_PATHS = {
  home: '/admin',
  signIn: '/admin/sign-in',
  signedIn: '/admin/signed-in',
  signOut: '/admin/sign-out',
  clients: '/admin/clients',
  newClient: '/admin/clients/new',
  client: '/admin/clients/:id',
  rotateSecret: '/admin/clients/:id/rotate-secret',
  deleteClient: '/admin/clients/:id/delete',
  users: '/admin/users',
  newUser: '/admin/users/new',
  user: '/admin/users/:id',
  userAction: '/admin/users/:id/:action',
  roles: '/admin/roles',
  deleteRole: '/admin/roles/:name/delete',
  groups: '/admin/groups',
  group: '/admin/groups/:name',
  groupAction: '/admin/groups/:name/:action',
  audit: '/admin/audit',
  deliveries: '/admin/deliveries',
  retryDelivery: '/admin/deliveries/:id/retry',
  keys: '/admin/keys',
  organisations: '/admin/organisations',
  organisation: '/admin/organisations/:id',
  organisationAction: '/admin/organisations/:id/:action',
} as const;

/** A console path with its `:id` (and `:action`) filled in, each segment URL-encoded. */
export function adminConsolePath(path: string, params: Record<string, string>): string {
  return path.replace(/:([a-z]+)/g, (_match, name: string) => encodeURIComponent(params[name] ?? ''));
}

/** The built-in client the admin console signs in with: public, PKCE, no consent page. */
export const ADMIN_CLIENT_ID = 'gatehouse-admin';

export function adminCallbackUrl(issuer: string): string {
  return `${issuer}${ADMIN_CONSOLE_PATHS.signedIn}`;
}

/**
 * The built-in client personal access tokens are issued to: it has no grant and no secret, so
 * nothing can get a token as it; it only names the tokens people make on their account pages, so
 * that introspection answers them as access tokens of a known client.
 */
export const PERSONAL_TOKENS_CLIENT_ID = 'gatehouse-personal-tokens';

/** Clients that are part of Gatehouse itself: configured in code, never changed or deleted by an admin. */
export const BUILT_IN_CLIENT_IDS: readonly string[] = [ACCOUNT_CLIENT_ID, ADMIN_CLIENT_ID, PERSONAL_TOKENS_CLIENT_ID];

// The admin API. It is a resource server of Gatehouse itself (RFC 8707): an admin's app asks for
// `resource=<issuer>/admin/api` and the `admin` scope, and gets a short-lived opaque access token
// only this deployment's stores can resolve.
export const ADMIN_API_PATH = '/admin/api';
export const ADMIN_SCOPE = 'admin';

/** The admin API's resource indicator: the issuer's URL of it. */
export function adminApiResource(issuer: string): string {
  return `${issuer}${ADMIN_API_PATH}`;
}

// Sign-in through another identity provider. Each upstream has its own callback path, registered
// at that upstream as the redirect URI: an answer arriving on one provider's path is never taken
// for another's (mix-up defence, RFC 9700 §4.4).
export const FEDERATION_CALLBACK_PREFIX = '/federation';

export function federationCallbackPath(providerId: string): string {
  return `${FEDERATION_CALLBACK_PREFIX}/${encodeURIComponent(providerId)}/callback`;
}

export function federationCallbackUrl(issuer: string, providerId: string): string {
  return `${issuer}${federationCallbackPath(providerId)}`;
}
