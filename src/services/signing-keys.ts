// Token signing keys: generated on first start, private halves encrypted at rest, the same after
// a restart and on every node. RS256 is mandatory to implement for OIDC (Core §15.1); ES256 and
// EdDSA are offered for clients that prefer smaller, faster signatures.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Database } from '../storage/db.js';
import { insertSigningKey, listSigningKeys, lockSigningKeys, type SigningKeyRow } from '../storage/repositories/signing-keys.js';
import type { SecretBox } from '../crypto/secret-box.js';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKeySummary {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  createdAt: Date;
}

async function generateSigningKey(alg: SigningAlgorithm): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  const options = alg === 'RS256' ? { extractable: true, modulusLength: 2048 } : alg === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : { extractable: true };
  const { publicKey, privateKey } = await generateKeyPair(alg, options);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const meta = { kid, alg, use: 'sig' };
  return { publicJwk: { ...publicJwk, ...meta }, privateJwk: { ...(await exportJWK(privateKey)), ...meta } };
}

export function createSigningKeyService(deps: { database: Database; secretBox: SecretBox }) {
  const { database, secretBox } = deps;

  return {
    /** Creates any missing algorithm's key; safe when several processes start together. */
    async ensureKeys(): Promise<string[]> {
      return database.transaction(async (tx) => {
        await lockSigningKeys(tx);
        const existing = new Set((await listSigningKeys(tx)).filter((k) => k.status === 'active').map((k) => k.alg));
        const created: string[] = [];
        for (const alg of SIGNING_ALGORITHMS) {
          if (existing.has(alg)) continue;
          const { publicJwk, privateJwk } = await generateSigningKey(alg);
          await insertSigningKey(tx, {
            kid: publicJwk.kid!,
            alg,
            public_jwk: publicJwk as Record<string, unknown>,
            private_jwk_encrypted: secretBox.encrypt(JSON.stringify(privateJwk)),
          });
          created.push(publicJwk.kid!);
        }
        return created;
      });
    },

    /** Private JWKs for the provider: active keys first, so they are the ones that sign. */
    async loadPrivateJwks(): Promise<JWK[]> {
      const rows = await listSigningKeys(database);
      return rows.map((row: SigningKeyRow) => JSON.parse(secretBox.decrypt(row.private_jwk_encrypted)) as JWK);
    },

    async list(): Promise<SigningKeySummary[]> {
      const rows = await listSigningKeys(database);
      return rows.map((row) => ({ kid: row.kid, alg: row.alg, status: row.status, createdAt: row.created_at }));
    },
  };
}


export type SigningKeyService = ReturnType<typeof createSigningKeyService>;
