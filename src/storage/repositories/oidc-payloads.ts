// The only SQL for the oidc_payloads table: every oidc-provider model except Client, one row per
// (model, id) with real columns for each lookup. Expiry is computed and compared on the database
// clock, so nodes with skewed clocks agree on what has expired.
import { deleteInBatches, type Queryable } from '../db.js';

export type Payload = Record<string, unknown>;

export interface PayloadRecord {
  model: string;
  id: string;
  payload: Payload;
  grantId?: string | undefined;
  uid?: string | undefined;
  userCode?: string | undefined;
  /** Undefined means the row never expires. */
  expiresInSeconds?: number | undefined;
}

/** What every store of oidc-provider payloads offers (this table, or Redis). */
export interface PayloadStore {
  upsert(record: PayloadRecord): Promise<void>;
  /** False when a live record already has this id. */
  insertIfAbsent(record: PayloadRecord): Promise<boolean>;
  find(model: string, id: string): Promise<Payload | undefined>;
  findByUid(model: string, uid: string): Promise<Payload | undefined>;
  findByUserCode(model: string, userCode: string): Promise<Payload | undefined>;
  /** True for exactly one of any number of concurrent callers; false when consumed or absent. */
  consume(model: string, id: string): Promise<boolean>;
  destroy(model: string, id: string): Promise<void>;
  /** Removes one model's records of a grant; returns how many went. */
  revokeByGrantId(model: string, grantId: string): Promise<number>;
}

interface PayloadRow {
  payload: Payload;
  consumed_epoch: number | null;
}

const LIVE = '(expires_at IS NULL OR expires_at > now())';
const EXISTING_LIVE = '(oidc_payloads.expires_at IS NULL OR oidc_payloads.expires_at > now())';
const SELECT_PAYLOAD = 'SELECT payload, floor(extract(epoch FROM consumed_at))::float8 AS consumed_epoch FROM oidc_payloads';

function params(record: PayloadRecord): unknown[] {
  return [
    record.model,
    record.id,
    JSON.stringify(record.payload),
    record.grantId ?? null,
    record.uid ?? null,
    record.userCode ?? null,
    record.expiresInSeconds ?? null,
  ];
}

const INSERT = `INSERT INTO oidc_payloads (model, id, payload, grant_id, uid, user_code, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, now() + $7::float8 * interval '1 second')`;

/** Inserts or overwrites; a row that stays live keeps its consumed_at, so re-saving never un-consumes. */
export async function upsertPayload(db: Queryable, record: PayloadRecord): Promise<void> {
  await db.query(
    `${INSERT}
     ON CONFLICT (model, id) DO UPDATE SET
       payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid,
       user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at,
       consumed_at = CASE WHEN ${EXISTING_LIVE}
                          THEN oidc_payloads.consumed_at END`,
    params(record),
  );
}

/**
 * Inserts only when no live row has this id (an expired, unswept row is replaced). Returns false
 * when a live row already exists. Atomic under concurrency: a second inserter waits for the first
 * and then sees its row.
 */
export async function insertPayloadIfAbsent(db: Queryable, record: PayloadRecord): Promise<boolean> {
  const result = await db.query(
    `${INSERT}
     ON CONFLICT (model, id) DO UPDATE SET
       payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid,
       user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at, consumed_at = NULL
     WHERE NOT ${EXISTING_LIVE}`,
    params(record),
  );
  return result.rowCount === 1;
}

function toPayload(row: PayloadRow | undefined): Payload | undefined {
  if (!row) return undefined;
  return row.consumed_epoch === null ? row.payload : { ...row.payload, consumed: row.consumed_epoch };
}

export async function findPayload(db: Queryable, model: string, id: string): Promise<Payload | undefined> {
  const result = await db.query<PayloadRow>(`${SELECT_PAYLOAD} WHERE model = $1 AND id = $2 AND ${LIVE}`, [model, id]);
  return toPayload(result.rows[0]);
}

export async function findPayloadByUid(db: Queryable, model: string, uid: string): Promise<Payload | undefined> {
  const result = await db.query<PayloadRow>(
    `${SELECT_PAYLOAD} WHERE model = $1 AND uid = $2 AND ${LIVE} LIMIT 1`,
    [model, uid],
  );
  return toPayload(result.rows[0]);
}

export async function findPayloadByUserCode(db: Queryable, model: string, userCode: string): Promise<Payload | undefined> {
  const result = await db.query<PayloadRow>(
    `${SELECT_PAYLOAD} WHERE model = $1 AND user_code = $2 AND ${LIVE} LIMIT 1`,
    [model, userCode],
  );
  return toPayload(result.rows[0]);
}

/**
 * Compare-and-set: marks the row consumed only if it was not already. True for exactly one of
 * any number of concurrent callers; false when already consumed or absent.
 */
export async function consumePayload(db: Queryable, model: string, id: string): Promise<boolean> {
  const result = await db.query(
    'UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2 AND consumed_at IS NULL',
    [model, id],
  );
  return result.rowCount === 1;
}

export async function destroyPayload(db: Queryable, model: string, id: string): Promise<void> {
  await db.query('DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', [model, id]);
}

/** Deletes one model's rows of a grant, batchSize rows per statement; returns how many went. */
export async function revokePayloadsByGrantId(db: Queryable, model: string, grantId: string, batchSize = 500): Promise<number> {
  return deleteInBatches(
    db,
    `DELETE FROM oidc_payloads WHERE (model, id) IN (
       SELECT model, id FROM oidc_payloads WHERE model = $2 AND grant_id = $3 LIMIT $1)`,
    [model, grantId],
    batchSize,
  );
}

/** Deletes rows past expires_at, batchSize rows per statement so no lock is held for long. */
export async function deleteExpiredPayloads(db: Queryable, batchSize: number): Promise<number> {
  return deleteInBatches(
    db,
    `DELETE FROM oidc_payloads WHERE (model, id) IN (
       SELECT model, id FROM oidc_payloads WHERE expires_at < now() LIMIT $1)`,
    [],
    batchSize,
  );
}

type NamedBy = 'accountId' | 'clientId';

async function findPayloadIdsNaming(db: Queryable, model: string, field: NamedBy, value: string): Promise<string[]> {
  const result = await db.query<{ id: string }>(
    `SELECT id FROM oidc_payloads WHERE model = $1 AND payload->>'${field}' = $2 AND ${LIVE}`,
    [model, value],
  );
  return result.rows.map((row) => row.id);
}

/** Ids of one model's live rows whose payload names this account (Grant, Session). */
export function findPayloadIdsByAccountId(db: Queryable, model: string, accountId: string): Promise<string[]> {
  return findPayloadIdsNaming(db, model, 'accountId', accountId);
}

/**
 * Counts one use of a live row whose payload carries `maxUses`: true when a use was left (and is
 * now spent), false when none is, the row has expired, or it is absent. One statement, so any
 * number of concurrent callers on any node spend at most maxUses between them.
 */
export async function spendPayloadUse(db: Queryable, model: string, id: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE oidc_payloads
     SET payload = jsonb_set(payload, '{uses}', to_jsonb(COALESCE((payload->>'uses')::int, 0) + 1))
     WHERE model = $1 AND id = $2 AND ${LIVE}
       AND jsonb_typeof(payload->'maxUses') = 'number'
       AND COALESCE((payload->>'uses')::int, 0) < (payload->>'maxUses')::int`,
    [model, id],
  );
  return result.rowCount === 1;
}

/** Ids of one model's live rows whose payload names this client (Grant, ClientCredentials). */
export function findPayloadIdsByClientId(db: Queryable, model: string, clientId: string): Promise<string[]> {
  return findPayloadIdsNaming(db, model, 'clientId', clientId);
}

/** Ids of the live grants one client holds for one account (an app's access removed by the person). */
export async function findGrantIdsOfAccountAndClient(db: Queryable, accountId: string, clientId: string): Promise<string[]> {
  const result = await db.query<{ id: string }>(
    `SELECT id FROM oidc_payloads WHERE model = 'Grant' AND payload->>'accountId' = $1 AND payload->>'clientId' = $2 AND ${LIVE}`,
    [accountId, clientId],
  );
  return result.rows.map((row) => row.id);
}
