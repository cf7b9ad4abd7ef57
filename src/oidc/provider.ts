// The only place a Provider is constructed.
import Provider, { type Configuration } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { TwoFactorService } from '../services/two-factor.js';
import type { UserService } from '../services/users.js';
import { createFindAccount, type IdpOfSession } from './account.js';
import { buildProviderOptions, type ProviderOptionsInput } from './options.js';
import { revokeGrantOnConcurrentReuse } from './reuse-revocation.js';

export interface ProviderDeps {
  config: Config;
  logger: Logger;
  adapter: NonNullable<Configuration['adapter']>;
  users: UserService;
  /** For twoFactor.policy.mode 'required': a signed-in session without a second factor is sent to enrol. */
  twoFactor: Pick<TwoFactorService, 'status'>;
  signingKeys: JWK[];
  pages: ProviderOptionsInput['pages'];
  /** The upstream of a federated session, for the ID token's `idp` claim. */
  idpOfSession?: IdpOfSession;
}

function lacksSecondFactor(twoFactor: Pick<TwoFactorService, 'status'>) {
  return async function lacksRequiredSecondFactor(accountId: string): Promise<boolean> {
    return !(await twoFactor.status(accountId)).enrolled;
  };
}

export function createProvider(deps: ProviderDeps): Provider {
  const options = buildProviderOptions({
    issuer: deps.config.issuer,
    adapter: deps.adapter,
    findAccount: createFindAccount(deps.users, deps.idpOfSession),
    signingKeys: deps.signingKeys,
    cookieSecrets: deps.config.cookieSecrets,
    ttlSeconds: deps.config.settings.ttlSeconds,
    sessions: deps.config.settings.sessions,
    resourceServers: deps.config.settings.resourceServers,
    twoFactorClients: deps.config.settings.twoFactor.policy.requiredForClients,
    ...(deps.config.settings.twoFactor.policy.mode === 'required'
      ? { lacksRequiredSecondFactor: lacksSecondFactor(deps.twoFactor) }
      : {}),
    pages: deps.pages,
  });
  const provider = new Provider(deps.config.issuer, options);
  provider.proxy = deps.config.trustProxy;
  // Only the error's name and message: never the request, whose body may hold credentials.
  provider.on('server_error', (_ctx, error: Error) => {
    deps.logger.error({ err: { name: error.name, message: error.message, stack: error.stack } }, 'oidc-provider server error');
  });
  revokeGrantOnConcurrentReuse(provider, deps.logger);
  return provider;
}
