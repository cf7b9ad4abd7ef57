// The only SQL for the oidc_clients table. client_secret never reaches the row in plain: it is
// sealed with the SecretBox (AES-256-GCM) under `client_secret_encrypted` and opened on read.
// After a rotation the previous secret is kept sealed beside it, with the epoch second it stops
// at, under keys that findClient and listClients never return: oidc-provider, listings and
// registration reads never see it; only findSecrets does.
import type { SecretBox } from '../../crypto/secret-box.js';
import { isUniqueViolation, type Queryable } from '../db.js';

export type ClientMetadata = Record<string, unknown> & { client_id?: string; client_secret?: string };

export interface ClientSummary {
  clientId: string;
  /** Metadata without client_secret: listings never carry secrets. */
  metadata: ClientMetadata;
  hasSecret: boolean;
  /** When the secret before the last rotation stops being accepted (epoch seconds), if one is kept. */
  previousSecretExpiresAt?: number | undefined;
  createdAt: Date;
  updatedAt: Date;
}

export interface ClientRepository {
  /** Throws DuplicateClientError when clientId is taken. */
  insertClient(clientId: string, metadata: ClientMetadata): Promise<void>;
  upsertClient(clientId: string, metadata: ClientMetadata): Promise<void>;
  /** The stored metadata with client_secret in plain, or undefined. */
  findClient(clientId: string): Promise<ClientMetadata | undefined>;
  listClients(): Promise<ClientSummary[]>;
  findClientSummary(clientId: string): Promise<ClientSummary | undefined>;
  /** True when a client was deleted. */
  deleteClient(clientId: string): Promise<boolean>;
  /** Replaces the metadata, keeping the secrets as they are; false when there is no such client. */
  updateMetadata(clientId: string, metadata: ClientMetadata): Promise<boolean>;
  /** The secrets a client may authenticate with, in plain; undefined when there is no such client. */
  findSecrets(clientId: string): Promise<ClientSecrets | undefined>;
  /**
   * Makes `secret` the client's secret; the one it replaces stays valid until `previousUntil`
   * (epoch seconds), or stops at once when that is undefined. Run it in a transaction: it reads
   * the row FOR UPDATE. False when there is no such client.
   */
  replaceSecret(clientId: string, secret: string, previousUntil: number | undefined): Promise<boolean>;
}

export interface ClientSecrets {
  current?: string | undefined;
  /** The secret before the last rotation, while its overlap lasts (expiry not checked here). */
  previous?: { secret: string; expiresAt: number } | undefined;
}

export class DuplicateClientError extends Error {
  override name = 'DuplicateClientError';
  constructor(readonly clientId: string, options?: { cause?: unknown }) {
    super(`a client with client_id "${clientId}" already exists`, options);
  }
}

const SEALED_KEY = 'client_secret_encrypted';
const PREVIOUS_SEALED_KEY = 'previous_client_secret_encrypted';
const PREVIOUS_EXPIRES_KEY = 'previous_client_secret_expires_at';
const SECRET_KEYS = [SEALED_KEY, PREVIOUS_SEALED_KEY, PREVIOUS_EXPIRES_KEY, 'client_secret'];

/** A row's metadata without any secret, sealed or not. */
function withoutSecrets(metadata: Record<string, unknown>): ClientMetadata {
  const rest = { ...metadata };
  for (const key of SECRET_KEYS) delete rest[key];
  return rest;
}

interface ClientRow {
  client_id: string;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

// A row may hold its secret in plain (written by hand, an import, or a release before sealing):
// a summary drops it in either form and says only whether there is one.
function summary(row: ClientRow): ClientSummary {
  const expiresAt = row.metadata[PREVIOUS_EXPIRES_KEY];
  return {
    clientId: row.client_id,
    metadata: withoutSecrets(row.metadata),
    hasSecret: typeof row.metadata[SEALED_KEY] === 'string' || typeof row.metadata.client_secret === 'string',
    ...(typeof expiresAt === 'number' && typeof row.metadata[PREVIOUS_SEALED_KEY] === 'string' ? { previousSecretExpiresAt: expiresAt } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createClientRepository(deps: { database: Queryable; secretBox: SecretBox }): ClientRepository {
  const { database, secretBox } = deps;

  function seal(clientId: string, metadata: ClientMetadata): string {
    const secret = metadata.client_secret;
    const stored: Record<string, unknown> = { ...withoutSecrets(metadata), client_id: clientId };
    if (typeof secret === 'string') stored[SEALED_KEY] = secretBox.encrypt(secret);
    return JSON.stringify(stored);
  }

  /** The current secret in plain, from either form. */
  function currentSecret(metadata: Record<string, unknown>): string | undefined {
    const sealed = metadata[SEALED_KEY];
    if (typeof sealed === 'string') return secretBox.decrypt(sealed);
    return typeof metadata.client_secret === 'string' ? metadata.client_secret : undefined;
  }

  function open(row: Pick<ClientRow, 'metadata'>): ClientMetadata {
    const secret = currentSecret(row.metadata);
    const rest = withoutSecrets(row.metadata);
    return secret === undefined ? rest : { ...rest, client_secret: secret };
  }

  return {
    async insertClient(clientId, metadata) {
      try {
        await database.query('INSERT INTO oidc_clients (client_id, metadata) VALUES ($1, $2)', [clientId, seal(clientId, metadata)]);
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateClientError(clientId, { cause: error });
        throw error;
      }
    },
    async upsertClient(clientId, metadata) {
      await database.query(
        `INSERT INTO oidc_clients (client_id, metadata) VALUES ($1, $2)
         ON CONFLICT (client_id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = now()`,
        [clientId, seal(clientId, metadata)],
      );
    },
    async findClient(clientId) {
      const result = await database.query<Pick<ClientRow, 'metadata'>>('SELECT metadata FROM oidc_clients WHERE client_id = $1', [clientId]);
      const row = result.rows[0];
      return row ? open(row) : undefined;
    },
    async listClients() {
      const result = await database.query<ClientRow>('SELECT * FROM oidc_clients ORDER BY created_at, client_id');
      return result.rows.map(summary);
    },
    async findClientSummary(clientId) {
      const result = await database.query<ClientRow>('SELECT * FROM oidc_clients WHERE client_id = $1', [clientId]);
      return result.rows[0] && summary(result.rows[0]);
    },
    async deleteClient(clientId) {
      const result = await database.query('DELETE FROM oidc_clients WHERE client_id = $1', [clientId]);
      return result.rowCount > 0;
    },
    async updateMetadata(clientId, metadata) {
      const kept = SECRET_KEYS.map((key) => `'${key}'`).join(', ');
      const result = await database.query(
        `UPDATE oidc_clients SET updated_at = now(), metadata = $2::jsonb || COALESCE(
           (SELECT jsonb_object_agg(key, value) FROM jsonb_each(metadata) WHERE key IN (${kept})), '{}'::jsonb)
         WHERE client_id = $1`,
        [clientId, JSON.stringify({ ...withoutSecrets(metadata), client_id: clientId })],
      );
      return result.rowCount > 0;
    },
    async findSecrets(clientId) {
      const result = await database.query<Pick<ClientRow, 'metadata'>>('SELECT metadata FROM oidc_clients WHERE client_id = $1', [clientId]);
      const metadata = result.rows[0]?.metadata;
      if (!metadata) return undefined;
      const sealedPrevious = metadata[PREVIOUS_SEALED_KEY];
      const expiresAt = metadata[PREVIOUS_EXPIRES_KEY];
      return {
        current: currentSecret(metadata),
        previous: typeof sealedPrevious === 'string' && typeof expiresAt === 'number'
          ? { secret: secretBox.decrypt(sealedPrevious), expiresAt }
          : undefined,
      };
    },
    async replaceSecret(clientId, secret, previousUntil) {
      const result = await database.query<Pick<ClientRow, 'metadata'>>('SELECT metadata FROM oidc_clients WHERE client_id = $1 FOR UPDATE', [clientId]);
      const metadata = result.rows[0]?.metadata;
      if (!metadata) return false;
      const previous = previousUntil === undefined ? undefined : currentSecret(metadata);
      const stored: Record<string, unknown> = { ...withoutSecrets(metadata), [SEALED_KEY]: secretBox.encrypt(secret) };
      if (previous !== undefined) {
        stored[PREVIOUS_SEALED_KEY] = secretBox.encrypt(previous);
        stored[PREVIOUS_EXPIRES_KEY] = previousUntil;
      }
      await database.query('UPDATE oidc_clients SET metadata = $2, updated_at = now() WHERE client_id = $1', [clientId, JSON.stringify(stored)]);
      return true;
    },
  };
}
