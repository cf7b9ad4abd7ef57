// oidc-provider's adapter interface over any payload store (Postgres or Redis): a thin translator
// that also closes the two races oidc-provider leaves to its storage.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { PayloadRecord, PayloadStore } from '../../storage/repositories/oidc-payloads.js';

export type { PayloadStore };
import { createConsumeConflictError, ReplayDetectedError } from './errors.js';

// ReplayDetection.unique() does find-then-save, so two requests carrying one jti can both miss
// on find. Its records are therefore insert-only: the second insert must fail, not overwrite.
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

export function createPayloadAdapter(store: PayloadStore, model: string): Adapter {
  return {
    async upsert(id, payload, expiresIn) {
      const record = toRecord(model, id, payload, expiresIn);
      if (!INSERT_ONLY_MODELS.has(model)) {
        await store.upsert(record);
        return;
      }
      // oidc-provider ignores upsert's result, so refusing by throwing is the only way the
      // replay reaches the request: the losing request fails instead of being let through.
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
      // oidc-provider checks `consumed` on the record it found and then calls consume() without
      // reading its result, so two concurrent token requests with one code both pass the check.
      // RFC 6749 §4.1.2 requires the code be used at most once, and RFC 9700 §4.14.2 requires a
      // refresh token used twice to be refused: the compare-and-set decides the single winner and
      // the loser's request fails here with the error oidc-provider gives for a sequential reuse.
      if (!(await store.consume(model, id))) throw createConsumeConflictError(model);
    },
    async destroy(id) {
      await store.destroy(model, id);
    },
    async revokeByGrantId(grantId) {
      // oidc-provider calls this once per grantable model, each on that model's own adapter, so
      // a call clears one model's records of the grant.
      await store.revokeByGrantId(model, grantId);
    },
  };
}
