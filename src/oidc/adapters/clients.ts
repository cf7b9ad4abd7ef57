// oidc-provider's adapter for the Client model, over the client repository. Clients are looked up
// by id, stored (dynamic registration, add_client) and deleted; they carry no grant, uid or code.
//
// oidc-provider asks for the client on every token, introspection and revocation call; without a
// cache each one is a Postgres round trip plus an AES-GCM open of the secret (the bench profile of
// client_credentials put about a quarter of the request's CPU there). So a found client is kept in
// memory for `ttlSeconds`, with its secret already opened, in a bounded LRU.
//
// Staleness, the trade-off: a client changed or deleted by the CLI, the admin API or another node
// is still served by this node, as it was, for at most `ttlSeconds` after this node last read it
// (a deleted client's tokens can be issued for that long; its secret keeps working that long after
// a rotation, unless the client moves to the new one: see oidc/client-secrets.ts). Writes through
// this adapter, and changes through the client service of this process (compose.ts plugs `forget`
// in), drop the entry at once. A client that is not found is
// never cached, so a freshly registered client works on every node at once. 0 disables the cache.
// In a Postgres outage a cached client still resolves: /auth then sends temporarily_unavailable to
// the client's redirect_uri (RFC 6749 §4.1.2.1) rather than showing our 503 page, and with Redis up
// client_credentials keeps being served for up to the TTL.
// The opened secret is in this process's memory either way: oidc-provider keeps built clients,
// secret included, in its own cache.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientMetadata, ClientRepository } from '../../storage/repositories/clients.js';

export const CLIENT_CACHE_MAX_ENTRIES = 1000;

export interface ClientCacheOptions {
  /** How long a found client is served from memory; 0 reads the repository on every call. */
  ttlSeconds: number;
  /** Most clients kept; the least recently used goes first. */
  maxEntries?: number;
  /** Milliseconds clock (tests). */
  now?: () => number;
}

interface Entry {
  /** JSON text, so that every caller gets its own copy to do with as it likes. */
  json: string;
  expiresAtMs: number;
}

type Find = (clientId: string) => Promise<ClientMetadata | undefined>;

/** `find` behind a TTL-bounded LRU of found clients; `forget` drops one after a local write. */
export function createClientCache(load: Find, options: ClientCacheOptions): { find: Find; forget(clientId: string): void } {
  const ttlMs = options.ttlSeconds * 1000;
  const maxEntries = options.maxEntries ?? CLIENT_CACHE_MAX_ENTRIES;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  if (!(ttlMs > 0)) return { find: load, forget: () => undefined };

  const entries = new Map<string, Entry>();
  // Concurrent misses for one client share one read.
  const pending = new Map<string, Promise<ClientMetadata | undefined>>();
  // Bumped by every local write: a read that started before one must not cache what it got.
  let writes = 0;

  async function loadAndKeep(clientId: string): Promise<ClientMetadata | undefined> {
    const writesBefore = writes;
    const found = await load(clientId);
    if (found && writes === writesBefore) {
      entries.delete(clientId);
      entries.set(clientId, { json: JSON.stringify(found), expiresAtMs: now() + ttlMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    }
    return found;
  }

  return {
    async find(clientId) {
      const entry = entries.get(clientId);
      if (entry) {
        entries.delete(clientId);
        if (entry.expiresAtMs > now()) {
          entries.set(clientId, entry);
          return JSON.parse(entry.json) as ClientMetadata;
        }
      }
      let read = pending.get(clientId);
      if (!read) {
        const started = loadAndKeep(clientId).finally(() => {
          if (pending.get(clientId) === started) pending.delete(clientId);
        });
        read = started;
        pending.set(clientId, read);
      }
      const found = await read;
      return found && (JSON.parse(JSON.stringify(found)) as ClientMetadata);
    },
    forget(clientId) {
      writes += 1;
      entries.delete(clientId);
      pending.delete(clientId);
    },
  };
}

function unsupported(method: string): never {
  throw new Error(`the Client adapter does not support ${method}`);
}

type ClientStore = Pick<ClientRepository, 'findClient' | 'upsertClient' | 'deleteClient'>;

/** The Client adapter; `forget` drops one client from this node's cache after a change made elsewhere in this process. */
export function createClientAdapter(clients: ClientStore, cache: ClientCacheOptions = { ttlSeconds: 0 }): Adapter & { forget(clientId: string): void } {
  const cached = createClientCache((id) => clients.findClient(id), cache);
  return {
    forget: (clientId) => cached.forget(clientId),
    async upsert(id, payload) {
      cached.forget(id);
      try {
        await clients.upsertClient(id, payload as Record<string, unknown>);
      } finally {
        cached.forget(id);
      }
    },
    async find(id) {
      return (await cached.find(id)) as AdapterPayload | undefined;
    },
    async destroy(id) {
      cached.forget(id);
      try {
        await clients.deleteClient(id);
      } finally {
        cached.forget(id);
      }
    },
    findByUid: async () => unsupported('findByUid'),
    findByUserCode: async () => unsupported('findByUserCode'),
    consume: async () => unsupported('consume'),
    revokeByGrantId: async () => unsupported('revokeByGrantId'),
  };
}
