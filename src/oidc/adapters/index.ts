// The one place that decides which store holds each oidc-provider model. Today: Client in
// oidc_clients, everything else in oidc_payloads. Short-lived models move to Redis here later.
import type { Adapter, AdapterFactory } from 'oidc-provider';
import type { Database } from '../../storage/db.js';
import { createClientRepository } from '../../storage/repositories/clients.js';
import type { SecretBox } from '../../services/secrets.js';
import { createClientAdapter } from './clients.js';
import { createPostgresAdapterFactory } from './postgres.js';

export function createAdapterFactory(deps: { database: Database; secretBox: SecretBox }): AdapterFactory {
  const clientAdapter = createClientAdapter(createClientRepository(deps));
  const payloadAdapters = createPostgresAdapterFactory(deps.database);
  return (model: string): Adapter => (model === 'Client' ? clientAdapter : payloadAdapters(model));
}
