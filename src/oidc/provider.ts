// The only place a Provider is constructed.
import Provider, { type Configuration } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { UserService } from '../services/users.js';
import { createFindAccount } from './account.js';
import { buildProviderOptions, type ProviderOptionsInput } from './options.js';
import { revokeGrantOnConcurrentReuse } from './reuse-revocation.js';

export interface ProviderDeps {
  config: Config;
  logger: Logger;
  adapter: NonNullable<Configuration['adapter']>;
  users: UserService;
  signingKeys: JWK[];
  pages: ProviderOptionsInput['pages'];
}

export function createProvider(deps: ProviderDeps): Provider {
  const options = buildProviderOptions({
    adapter: deps.adapter,
    findAccount: createFindAccount(deps.users),
    signingKeys: deps.signingKeys,
    cookieSecrets: deps.config.cookieSecrets,
    ttlSeconds: deps.config.settings.ttlSeconds,
    resourceServers: deps.config.settings.resourceServers,
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
