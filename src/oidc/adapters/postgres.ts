// oidc-provider's adapter over the oidc_payloads table.
import type { AdapterFactory } from 'oidc-provider';
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
} from '../../storage/repositories/oidc-payloads.js';
import { createPayloadAdapter, type PayloadStore } from './payload-adapter.js';

function createPostgresPayloadStore(database: Database): PayloadStore {
  return {
    upsert: (record) => upsertPayload(database, record),
    insertIfAbsent: (record) => insertPayloadIfAbsent(database, record),
    find: (model, id) => findPayload(database, model, id),
    findByUid: (model, uid) => findPayloadByUid(database, model, uid),
    findByUserCode: (model, userCode) => findPayloadByUserCode(database, model, userCode),
    consume: (model, id) => consumePayload(database, model, id),
    destroy: (model, id) => destroyPayload(database, model, id),
    revokeByGrantId: (model, grantId) => revokePayloadsByGrantId(database, model, grantId),
  };
}

export function createPostgresAdapterFactory(database: Database): AdapterFactory {
  const store = createPostgresPayloadStore(database);
  return (model: string) => createPayloadAdapter(store, model);
}
