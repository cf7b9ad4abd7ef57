// oidc-provider's adapter over Redis, for short-lived models: a thin translator to the Redis payload
// store. As in the Postgres adapter, the races oidc-provider leaves open are closed here: consume is
// a compare-and-set, ReplayDetection is insert-only. A Redis that does not answer surfaces as
// StorageUnavailableError (see callRedis), never as a hang.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { RedisClient } from '../../storage/redis.js';
import { createRedisPayloadStore, type RedisPayloadStore } from '../../storage/repositories/oidc-payloads-redis.js';
import type { PayloadRecord } from '../../storage/repositories/oidc-payloads.js';
import { createConsumeConflictError, ReplayDetectedError } from './errors.js';

// ReplayDetection.unique() does find-then-save; only an insert that refuses an existing id (SET NX)
// lets exactly one of two requests carrying one jti through.
const INSERT_ONLY_MODELS = new Set(['ReplayDetection']);

function toRecord(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): PayloadRecord {
  return {
    model,
    id,
    payload: payload as Record<string, unknown>,
    grantId: payload.grantId,
    uid: payload.uid,
    userCode: payload.userCode,
    expiresInSeconds: expiresIn,
  };
}

export function createRedisAdapter(store: RedisPayloadStore, model: string): Adapter {
  return {
    async upsert(id, payload, expiresIn) {
      const record = toRecord(model, id, payload, expiresIn);
      if (!INSERT_ONLY_MODELS.has(model)) {
        await store.upsert(record);
        return;
      }
      // oidc-provider ignores upsert's result: throwing is how the replay reaches the request.
      if (!(await store.insertIfAbsent(record))) throw new ReplayDetectedError();
    },
    async find(id) {
      return store.find(model, id) as Promise<AdapterPayload | undefined>;
    },
    async findByUid(uid) {
      return store.findByUid(model, uid) as Promise<AdapterPayload | undefined>;
    },
    async findByUserCode(userCode) {
      return store.findByUserCode(model, userCode) as Promise<AdapterPayload | undefined>;
    },
    async consume(id) {
      // RFC 6749 §4.1.2 / RFC 9700 §4.14.2: of concurrent redemptions exactly one wins; the loser
      // gets the error oidc-provider gives for a sequential reuse (see the Postgres adapter).
      if (!(await store.consume(model, id))) throw createConsumeConflictError(model);
    },
    async destroy(id) {
      await store.destroy(model, id);
    },
    async revokeByGrantId(grantId) {
      // oidc-provider calls this once per grantable model, each on that model's own adapter, so a
      // call clears one model's members of the grant index, like the Postgres adapter clears rows.
      await store.revokeByGrantId(model, grantId);
    },
  };
}

export function createRedisAdapterFactory(deps: { redis: RedisClient; keyPrefix: string }): AdapterFactory {
  const store = createRedisPayloadStore(deps);
  return (model: string) => createRedisAdapter(store, model);
}
