// oidc-provider's adapter over Redis, for short-lived models. The key layout and scripts live in
// the Redis payload store; a Redis that does not answer surfaces as StorageUnavailableError
// (see callRedis in src/storage/redis.ts), never as a hang.
import type { AdapterFactory } from 'oidc-provider';
import type { RedisClient } from '../../storage/redis.js';
import { createRedisPayloadStore } from '../../storage/repositories/oidc-payloads-redis.js';
import { createPayloadAdapter } from './payload-adapter.js';

export function createRedisAdapterFactory(deps: { redis: RedisClient; keyPrefix: string }): AdapterFactory {
  const store = createRedisPayloadStore(deps);
  return (model: string) => createPayloadAdapter(store, model);
}
