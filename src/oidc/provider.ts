// The only place a Provider is constructed.
import Provider, { type AdapterFactory } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { isTwoFactorRequiredFor, type TwoFactorPolicy, type TwoFactorService } from '../services/two-factor.js';
import type { UserService } from '../services/users.js';
import { createFindAccount, type IdpOfSession } from './account.js';
import type { AccessOf } from './app-access.js';
import type { OrganisationMembership } from './organisations.js';
import { acceptStoredClientSecrets, type AcceptsClientSecret } from './client-secrets.js';
import { createConsumeLast } from './consume-last.js';
import { buildProviderOptions, type ProviderOptionsInput } from './options.js';
import type { InitialAccessTokens } from './registration.js';
import { revokeGrantOnConcurrentReuse } from './reuse-revocation.js';
import { includeSidForEveryClient } from './session-id-claim.js';

export interface ProviderDeps {
  config: Config;
  logger: Logger;
  adapter: AdapterFactory;
  users: UserService;
  /** For twoFactor.policy mode 'required' and requiredForRoles: a signed-in session without a second factor is sent to enrol. */
  twoFactor: Pick<TwoFactorService, 'isEnrolled'>;
  signingKeys: JWK[];
  pages: ProviderOptionsInput['pages'];
  /** Counts the uses of initial access tokens minted with a limit (dynamic registration). */
  initialAccessTokens: Pick<InitialAccessTokens, 'spendUse'>;
  /** An account's effective roles and groups (services/roles-and-groups.ts). */
  accessOf: AccessOf;
  /** Organisation memberships and org roles (services/organisations.ts). */
  organisations: OrganisationMembership;
  /** What a person allowed an app before (services/consents.ts). */
  rememberedConsent: ProviderOptionsInput['rememberedConsent'];
  /** The upstream of a federated session, for the ID token's `idp` claim. */
  idpOfSession?: IdpOfSession;
  /** The stored secrets of a client, the previous one during its rotation overlap included. */
  acceptsClientSecret?: AcceptsClientSecret;
}

/**
 * The login prompt's check for a session signed in before the policy reached its account (mode
 * switched to 'required', or a role in requiredForRoles granted since). requiredForClients is
 * not asked here: two-factor-policy.ts treats those clients as a step-up. Undefined when the
 * policy can demand enrolment of no account.
 */
function lacksSecondFactor(policy: TwoFactorPolicy, users: Pick<UserService, 'effectiveRolesOf'>, twoFactor: Pick<TwoFactorService, 'isEnrolled'>) {
  if (policy.mode !== 'required' && policy.requiredForRoles.length === 0) return undefined;
  return async function lacksRequiredSecondFactor(accountId: string): Promise<boolean> {
    if (!(await isTwoFactorRequiredFor(policy, { accountId }, users.effectiveRolesOf))) return false;
    return !(await twoFactor.isEnrolled(accountId));
  };
}

export function createProvider(deps: ProviderDeps): Provider {
  const lacksRequiredSecondFactor = lacksSecondFactor(deps.config.settings.twoFactor.policy, deps.users, deps.twoFactor);
  const consumeLast = createConsumeLast(deps.logger);
  const options = buildProviderOptions({
    issuer: deps.config.issuer,
    adapter: consumeLast.wrapAdapter(deps.adapter),
    findAccount: createFindAccount(deps.users, deps.accessOf, deps.organisations, deps.idpOfSession),
    accessOf: deps.accessOf,
    organisations: deps.organisations,
    rememberedConsent: deps.rememberedConsent,
    signingKeys: deps.signingKeys,
    cookieSecrets: deps.config.cookieSecrets,
    ttlSeconds: deps.config.settings.ttlSeconds,
    sessions: deps.config.settings.sessions,
    resourceServers: deps.config.settings.resourceServers,
    twoFactorClients: deps.config.settings.twoFactor.policy.requiredForClients,
    registration: { mode: deps.config.settings.dynamicRegistration.mode, spendUse: deps.initialAccessTokens.spendUse },
    ...(lacksRequiredSecondFactor ? { lacksRequiredSecondFactor } : {}),
    pages: deps.pages,
  });
  const provider = new Provider(deps.config.issuer, options);
  if (deps.config.settings.dynamicRegistration.mode === 'open') {
    deps.logger.warn(`dynamicRegistration.mode is open: anyone who can reach ${provider.pathFor('registration')} can register a client; use token outside development`);
  }
  // First in line, so that it sees the final answer of every token request.
  provider.use(consumeLast.middleware);
  // Only the addresses our own proxies appended count: the client writes whatever it likes to
  // the left of them, and every per-IP limit and audit row reads ctx.ip.
  provider.proxy = deps.config.trustedProxyHops > 0;
  provider.maxIpsCount = deps.config.trustedProxyHops;
  // Only the error's name and message: never the request, whose body may hold credentials.
  provider.on('server_error', (_ctx, error: Error) => {
    deps.logger.error({ err: { name: error.name, message: error.message, stack: error.stack } }, 'oidc-provider server error');
  });
  revokeGrantOnConcurrentReuse(provider, deps.logger);
  includeSidForEveryClient(provider);
  if (deps.acceptsClientSecret) acceptStoredClientSecrets(provider, deps.acceptsClientSecret);
  return provider;
}
