// The only SQL for the oidc_clients table. client_secret never reaches the row in plain: it is
// sealed with the SecretBox (AES-256-GCM) under `client_secret_encrypted` and opened on read.
import type { SecretBox } from '../../crypto/secret-box.js';
import { isUniqueViolation, type Queryable } from '../db.js';

export type ClientMetadata = Record<string, unknown> & { client_id?: string; client_secret?: string };

export interface ClientSummary {
  clientId: string;
  /** Metadata without client_secret: listings never carry secrets. */
  metadata: ClientMetadata;
  hasSecret: boolean;
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
  /** True when a client was deleted. */
  deleteClient(clientId: string): Promise<boolean>;
}

export class DuplicateClientError extends Error {
  override name = 'DuplicateClientError';
  constructor(readonly clientId: string, options?: { cause?: unknown }) {
    super(`a client with client_id "${clientId}" already exists`, options);
  }
}

const SEALED_KEY = 'client_secret_encrypted';

interface ClientRow {
  client_id: string;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export function createClientRepository(deps: { database: Queryable; secretBox: SecretBox }): ClientRepository {
  const { database, secretBox } = deps;

  function seal(clientId: string, metadata: ClientMetadata): string {
    const { client_secret: secret, ...rest } = metadata;
    const stored: Record<string, unknown> = { ...rest, client_id: clientId };
    delete stored[SEALED_KEY];
    if (typeof secret === 'string') stored[SEALED_KEY] = secretBox.encrypt(secret);
    return JSON.stringify(stored);
  }

  function open(row: Pick<ClientRow, 'metadata'>): ClientMetadata {
    const { [SEALED_KEY]: sealed, ...rest } = row.metadata;
    return typeof sealed === 'string' ? { ...rest, client_secret: secretBox.decrypt(sealed) } : rest;
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
      return result.rows.map((row) => {
        // A row may hold its secret in plain (written by hand, an import, or a release before
        // sealing): a listing drops it in either form and says only whether there is one.
        const { [SEALED_KEY]: sealed, client_secret: plain, ...metadata } = row.metadata;
        return {
          clientId: row.client_id,
          metadata,
          hasSecret: typeof sealed === 'string' || typeof plain === 'string',
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        };
      });
    },
    async deleteClient(clientId) {
      const result = await database.query('DELETE FROM oidc_clients WHERE client_id = $1', [clientId]);
      return result.rowCount > 0;
    },
  };
}
