// oidc-provider's adapter over the oidc_payloads table: a thin translator to the repository, plus
// the two places where the adapter, not oidc-provider, must close a race (see consume and upsert).
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Database } from '../../storage/db.js';
import {
  consumePayload,
  destroyPayload,
  findPayload,
  findPayloadByUid,
  findPayloadByUserCode,
  insertPayloadIfAbsent,
  revokePayloadsByGrantId,
  upsertPayload,
  type PayloadRecord,
} from '../../storage/repositories/oidc-payloads.js';
import { createConsumeConflictError, ReplayDetectedError } from './errors.js';

// ReplayDetection.unique() does find-then-save, so two requests carrying one jti can both miss
// on find. Its rows are therefore insert-only: the second insert must fail, not overwrite.
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

export function createPostgresAdapter(database: Database, model: string): Adapter {
  return {
    async upsert(id, payload, expiresIn) {
      const record = toRecord(model, id, payload, expiresIn);
      if (!INSERT_ONLY_MODELS.has(model)) {
        await upsertPayload(database, record);
        return;
      }
      // oidc-provider ignores upsert's result, so refusing by throwing is the only way the
      // replay reaches the request: the losing request fails instead of being let through.
      if (!(await insertPayloadIfAbsent(database, record))) throw new ReplayDetectedError();
    },
    async find(id) {
      return findPayload(database, model, id) as Promise<AdapterPayload | undefined>;
    },
    async findByUid(uid) {
      return findPayloadByUid(database, model, uid) as Promise<AdapterPayload | undefined>;
    },
    async findByUserCode(userCode) {
      return findPayloadByUserCode(database, model, userCode) as Promise<AdapterPayload | undefined>;
    },
    async consume(id) {
      // oidc-provider checks `consumed` on the row it found and then calls consume() without
      // reading its result, so two concurrent token requests with one code both pass the check.
      // RFC 6749 §4.1.2 requires the code be used at most once, and RFC 9700 §4.14.2 requires a
      // refresh token used twice to be refused: the compare-and-set decides the single winner and
      // the loser's request fails here with the error oidc-provider gives for a sequential reuse.
      if (!(await consumePayload(database, model, id))) throw createConsumeConflictError(model);
    },
    async destroy(id) {
      await destroyPayload(database, model, id);
    },
    async revokeByGrantId(grantId) {
      // oidc-provider calls this once per grantable model, so each call clears one model's rows.
      await revokePayloadsByGrantId(database, model, grantId);
    },
  };
}

export function createPostgresAdapterFactory(database: Database): AdapterFactory {
  return (model: string) => createPostgresAdapter(database, model);
}
