// oidc-provider's adapter for the Client model, over the client repository. Clients are looked up
// by id, stored (dynamic registration, add_client) and deleted; they carry no grant, uid or code.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientRepository } from '../../storage/repositories/clients.js';

function unsupported(method: string): never {
  throw new Error(`the Client adapter does not support ${method}`);
}

export function createClientAdapter(clients: ClientRepository): Adapter {
  return {
    async upsert(id, payload) {
      await clients.upsertClient(id, payload as Record<string, unknown>);
    },
    async find(id) {
      return (await clients.findClient(id)) as AdapterPayload | undefined;
    },
    async destroy(id) {
      await clients.deleteClient(id);
    },
    findByUid: async () => unsupported('findByUid'),
    findByUserCode: async () => unsupported('findByUserCode'),
    consume: async () => unsupported('consume'),
    revokeByGrantId: async () => unsupported('revokeByGrantId'),
  };
}
