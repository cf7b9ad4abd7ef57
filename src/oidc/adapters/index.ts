// The one place that decides which store holds each oidc-provider model. Client lives in
// oidc_clients. With Redis, what is short-lived and whose loss costs at most a fresh sign-in goes
// there (DESIGN §4); grants and the tokens that outlive a session stay in Postgres. Without Redis,
// every payload is in oidc_payloads. A grant's revocation reaches both stores because oidc-provider
// calls revokeByGrantId on each model's own adapter.
//
// InitialAccessToken and RegistrationAccessToken stay in Postgres whatever else is in Redis: an
// admin mints an initial access token for days and counts its uses there (one conditional UPDATE,
// atomic across nodes), and a registration access token is a client's only way to manage its own
// registration for as long as the client exists, so losing either costs far more than a sign-in.
// Both are kept under a hash of their value (hashed-ids.ts).
import type { Adapter, AdapterFactory } from 'oidc-provider';
import type { Database } from '../../storage/db.js';
import type { RedisClient } from '../../storage/redis.js';
import { createClientRepository } from '../../storage/repositories/clients.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import { createClientAdapter } from './clients.js';
import { withHashedIds } from './hashed-ids.js';
import { createPostgresAdapterFactory } from './postgres.js';
import { createRedisAdapterFactory } from './redis.js';

export const REDIS_MODELS: ReadonlySet<string> = new Set([
  'Session',
  'Interaction',
  'AuthorizationCode',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'ReplayDetection',
  'AccessToken',
  'ClientCredentials',
]);

/** Bearer credentials for dynamic client registration, stored only under a hash of their value. */
export const REGISTRATION_TOKEN_MODELS: ReadonlySet<string> = new Set(['InitialAccessToken', 'RegistrationAccessToken']);

export const DEFAULT_REDIS_KEY_PREFIX = 'gatehouse:';

export interface AdapterFactoryDeps {
  database: Database;
  secretBox: SecretBox;
  redis?: RedisClient | undefined;
  redisKeyPrefix?: string | undefined;
  /** settings.clientCacheSeconds; unset or 0 reads the client on every call. */
  clientCacheSeconds?: number | undefined;
}

/** Where a model's payloads live; unknown models default to the durable store. */
export function storeForModel(model: string, hasRedis: boolean): 'clients' | 'redis' | 'postgres' {
  if (model === 'Client') return 'clients';
  return hasRedis && REDIS_MODELS.has(model) ? 'redis' : 'postgres';
}

/** The adapters, and a way to drop a client from this node's cache when the client service changes it. */
export type StoreAdapters = AdapterFactory & { forgetClient(clientId: string): void };

export function createAdapterFactory(deps: AdapterFactoryDeps): StoreAdapters {
  const clientAdapter = createClientAdapter(createClientRepository(deps), { ttlSeconds: deps.clientCacheSeconds ?? 0 });
  const postgres = createPostgresAdapterFactory(deps.database);
  const redis = deps.redis
    ? createRedisAdapterFactory({ redis: deps.redis, keyPrefix: deps.redisKeyPrefix ?? DEFAULT_REDIS_KEY_PREFIX })
    : undefined;
  const factory = (model: string): Adapter => {
    const store = storeForModel(model, redis !== undefined);
    if (store === 'clients') return clientAdapter;
    if (REGISTRATION_TOKEN_MODELS.has(model)) return withHashedIds(postgres(model));
    return store === 'redis' ? redis!(model) : postgres(model);
  };
  return Object.assign(factory, { forgetClient: clientAdapter.forget });
}
