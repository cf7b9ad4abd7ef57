// The Client adapter's in-process cache: found clients served from memory for a bounded time, in a
// bounded LRU; what is not found is always read again; local writes drop their entry at once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadSettings } from '../../src/config.js';
import { createClientAdapter, createClientCache } from '../../src/oidc/adapters/clients.js';
import type { ClientMetadata, ClientRepository } from '../../src/storage/repositories/clients.js';

/** A store that counts reads; `clients` can be changed behind the cache's back (another node, the CLI). */
function fakeStore(initial: Record<string, ClientMetadata> = {}) {
  const clients = new Map(Object.entries(initial));
  const reads: string[] = [];
  const load = async (id: string) => {
    reads.push(id);
    const found = clients.get(id);
    return found && (structuredClone(found) as ClientMetadata);
  };
  return { clients, reads, load };
}

function clock(startMs = 1_000_000) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => { nowMs += ms; } };
}

const client = (id: string, extra: Record<string, unknown> = {}): ClientMetadata => ({ client_id: id, client_secret: `secret-${id}`, ...extra });

describe('client cache', () => {
  it('serves a found client from memory within the TTL', async () => {
    const store = fakeStore({ a: client('a') });
    const cache = createClientCache(store.load, { ttlSeconds: 5, now: clock().now });
    expect(await cache.find('a')).toEqual(client('a'));
    expect(await cache.find('a')).toEqual(client('a'));
    expect(store.reads).toEqual(['a']);
  });

  it('reads again once the TTL has passed, so a change elsewhere is seen', async () => {
    const store = fakeStore({ a: client('a') });
    const time = clock();
    const cache = createClientCache(store.load, { ttlSeconds: 5, now: time.now });
    await cache.find('a');
    store.clients.set('a', client('a', { client_secret: 'rotated' }));
    time.advance(4_999);
    expect(await cache.find('a')).toMatchObject({ client_secret: 'secret-a' });
    time.advance(1);
    expect(await cache.find('a')).toMatchObject({ client_secret: 'rotated' });
    store.clients.delete('a');
    time.advance(5_000);
    expect(await cache.find('a')).toBeUndefined();
    expect(store.reads).toEqual(['a', 'a', 'a']);
  });

  it('never caches a client that was not found, so a newly added one works at once', async () => {
    const store = fakeStore();
    const cache = createClientCache(store.load, { ttlSeconds: 5, now: clock().now });
    expect(await cache.find('new')).toBeUndefined();
    store.clients.set('new', client('new'));
    expect(await cache.find('new')).toEqual(client('new'));
    expect(store.reads).toEqual(['new', 'new']);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const store = fakeStore({ a: client('a'), b: client('b'), c: client('c') });
    const cache = createClientCache(store.load, { ttlSeconds: 5, maxEntries: 2, now: clock().now });
    await cache.find('a');
    await cache.find('b');
    await cache.find('a'); // a is now the most recently used
    await cache.find('c'); // evicts b
    expect(store.reads).toEqual(['a', 'b', 'c']);
    await cache.find('a');
    await cache.find('c');
    expect(store.reads).toEqual(['a', 'b', 'c']);
    await cache.find('b');
    expect(store.reads).toEqual(['a', 'b', 'c', 'b']);
  });

  it('gives every caller its own copy', async () => {
    const store = fakeStore({ a: client('a', { grant_types: ['client_credentials'] }) });
    const cache = createClientCache(store.load, { ttlSeconds: 5, now: clock().now });
    const first = await cache.find('a');
    (first!.grant_types as string[]).push('authorization_code');
    expect(await cache.find('a')).toMatchObject({ grant_types: ['client_credentials'] });
  });

  it('shares one read among concurrent misses', async () => {
    const store = fakeStore({ a: client('a') });
    const cache = createClientCache(store.load, { ttlSeconds: 5, now: clock().now });
    const found = await Promise.all([cache.find('a'), cache.find('a'), cache.find('a')]);
    expect(found).toEqual([client('a'), client('a'), client('a')]);
    expect(store.reads).toEqual(['a']);
  });

  it('does not cache a read that a local write overtook', async () => {
    const store = fakeStore({ a: client('a') });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const cache = createClientCache(async (id) => {
      const found = await store.load(id);
      await gate;
      return found;
    }, { ttlSeconds: 5, now: clock().now });
    const stale = cache.find('a');
    store.clients.set('a', client('a', { client_secret: 'rotated' }));
    cache.forget('a');
    release();
    expect(await stale).toMatchObject({ client_secret: 'secret-a' });
    expect(await cache.find('a')).toMatchObject({ client_secret: 'rotated' });
  });

  it('reads through on every call with a TTL of 0', async () => {
    const store = fakeStore({ a: client('a') });
    const cache = createClientCache(store.load, { ttlSeconds: 0 });
    await cache.find('a');
    await cache.find('a');
    expect(store.reads).toEqual(['a', 'a']);
  });

  it('does not cache a failed read', async () => {
    let fail = true;
    const cache = createClientCache(async (id) => {
      if (fail) throw new Error('database unavailable');
      return client(id);
    }, { ttlSeconds: 5, now: clock().now });
    await expect(cache.find('a')).rejects.toThrow('database unavailable');
    fail = false;
    expect(await cache.find('a')).toEqual(client('a'));
  });
});

describe('Client adapter with the cache', () => {
  function repository(store: ReturnType<typeof fakeStore>): Pick<ClientRepository, 'findClient' | 'upsertClient' | 'deleteClient'> {
    return {
      upsertClient: async (id, metadata) => { store.clients.set(id, metadata); },
      findClient: store.load,
      deleteClient: async (id) => store.clients.delete(id),
    };
  }

  it('sees its own upserts and deletes at once', async () => {
    const store = fakeStore();
    const adapter = createClientAdapter(repository(store), { ttlSeconds: 60, now: clock().now });
    await adapter.upsert('a', client('a'), 0);
    expect(await adapter.find('a')).toMatchObject({ client_secret: 'secret-a' });
    await adapter.upsert('a', client('a', { client_secret: 'rotated' }), 0);
    expect(await adapter.find('a')).toMatchObject({ client_secret: 'rotated' });
    await adapter.destroy('a');
    expect(await adapter.find('a')).toBeUndefined();
  });
});

describe('settings.clientCacheSeconds', () => {
  function settingsWith(value: unknown) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-client-cache-'));
    try {
      const file = path.join(dir, 'settings.json');
      writeFileSync(file, JSON.stringify({ clientCacheSeconds: value }));
      return loadSettings(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('defaults to a few seconds and accepts 0 to disable the cache', () => {
    expect(loadSettings().clientCacheSeconds).toBe(5);
    expect(settingsWith(0).clientCacheSeconds).toBe(0);
  });

  it('refuses a negative or fractional value, naming the setting', () => {
    expect(() => settingsWith(-1)).toThrow(ConfigError);
    expect(() => settingsWith(-1)).toThrow(/clientCacheSeconds/);
    expect(() => settingsWith(1.5)).toThrow(/clientCacheSeconds/);
  });
});
