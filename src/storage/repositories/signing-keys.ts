// The only SQL for the signing_keys table.
import type { Queryable } from '../db.js';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: Record<string, unknown>;
  private_jwk_encrypted: string;
  status: 'active' | 'retired';
  created_at: Date;
}

// Serialises key generation between processes starting at once.
const SIGNING_KEY_LOCK = 7_201_865_339;

export async function lockSigningKeys(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [SIGNING_KEY_LOCK]);
}

export async function listSigningKeys(db: Queryable): Promise<SigningKeyRow[]> {
  const result = await db.query<SigningKeyRow>(
    "SELECT * FROM signing_keys ORDER BY status = 'active' DESC, created_at DESC, kid",
  );
  return result.rows;
}

export async function insertSigningKey(db: Queryable, key: Omit<SigningKeyRow, 'status' | 'created_at'>): Promise<void> {
  await db.query(
    'INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk_encrypted) VALUES ($1, $2, $3, $4)',
    [key.kid, key.alg, JSON.stringify(key.public_jwk), key.private_jwk_encrypted],
  );
}
