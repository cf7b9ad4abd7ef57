import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientAdapter } from '../../src/oidc/adapters/clients.js';
import { createAdapterFactory } from '../../src/oidc/adapters/index.js';
import { createSecretBox, DecryptionError } from '../../src/crypto/secret-box.js';
import { createClientRepository, DuplicateClientError, type ClientRepository } from '../../src/storage/repositories/clients.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';

const KEY = 'client-store-test-key-0123456789abcdef';
const SECRET = 'sEcReT-value-that-must-not-be-stored-in-plain';

function metadata(clientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { client_id: clientId, redirect_uris: ['https://rp.example/cb'], grant_types: ['authorization_code'], ...extra };
}

describe.each(storageKinds)('client store on %s', (kind) => {
  let db: TestDatabase;
  let clients: ClientRepository;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    clients = createClientRepository({ database: db.database, secretBox: createSecretBox(KEY) });
  });
  afterAll(async () => { await db.close(); });

  it('encrypts client_secret at rest and decrypts it on read', async () => {
    await clients.insertClient('confidential', metadata('confidential', { client_secret: SECRET }));
    const raw = await db.database.query<{ text: string }>(
      "SELECT metadata::text AS text FROM oidc_clients WHERE client_id = 'confidential'",
    );
    expect(raw.rows[0]!.text).not.toContain(SECRET);
    expect(raw.rows[0]!.text).not.toContain('"client_secret"');
    expect(await clients.findClient('confidential')).toEqual(metadata('confidential', { client_secret: SECRET }));
  });

  it('stores a public client without any secret', async () => {
    await clients.insertClient('public', metadata('public', { token_endpoint_auth_method: 'none' }));
    expect(await clients.findClient('public')).toEqual(metadata('public', { token_endpoint_auth_method: 'none' }));
  });

  it('refuses a duplicate client_id and leaves the first client intact', async () => {
    await clients.insertClient('taken', metadata('taken', { client_secret: SECRET }));
    const attempt = clients.insertClient('taken', metadata('taken', { client_secret: 'other' }));
    await expect(attempt).rejects.toBeInstanceOf(DuplicateClientError);
    await expect(attempt).rejects.toThrow('a client with client_id "taken" already exists');
    expect(await clients.findClient('taken')).toMatchObject({ client_secret: SECRET });
  });

  it('lists clients without their secrets', async () => {
    const list = await clients.listClients();
    expect(list.map((c) => c.clientId)).toEqual(expect.arrayContaining(['confidential', 'public', 'taken']));
    expect(JSON.stringify(list)).not.toContain(SECRET);
    expect(list.find((c) => c.clientId === 'confidential')).toMatchObject({ hasSecret: true });
    expect(list.find((c) => c.clientId === 'public')).toMatchObject({ hasSecret: false });
  });

  it('deletes a client', async () => {
    await clients.insertClient('doomed', metadata('doomed'));
    expect(await clients.deleteClient('doomed')).toBe(true);
    expect(await clients.findClient('doomed')).toBeUndefined();
    expect(await clients.deleteClient('doomed')).toBe(false);
  });

  it('cannot read secrets under a different ENCRYPTION_KEY', async () => {
    const other = createClientRepository({ database: db.database, secretBox: createSecretBox(`${KEY}-rotated`) });
    await expect(other.findClient('confidential')).rejects.toBeInstanceOf(DecryptionError);
  });

  it('serves clients to oidc-provider through the Client adapter', async () => {
    const adapter = createAdapterFactory({ database: db.database, secretBox: createSecretBox(KEY) })('Client');
    await adapter.upsert('registered', { ...metadata('registered'), client_secret: SECRET });
    expect(await adapter.find('registered')).toMatchObject({ client_id: 'registered', client_secret: SECRET });
    await adapter.upsert('registered', { ...metadata('registered'), client_secret: 'rotated-secret' });
    expect(await adapter.find('registered')).toMatchObject({ client_secret: 'rotated-secret' });
    await adapter.destroy('registered');
    expect(await adapter.find('registered')).toBeUndefined();
    await expect(adapter.consume('registered')).rejects.toThrow('the Client adapter does not support consume');
  });

  it('with the cache, serves a client changed or deleted elsewhere as it was until the TTL passes', async () => {
    let nowMs = 0;
    const adapter = createClientAdapter(clients, { ttlSeconds: 5, now: () => nowMs });
    expect(await adapter.find('cached')).toBeUndefined();
    // Registered elsewhere (the CLI, another node): found at once, since a miss is never cached.
    await clients.insertClient('cached', metadata('cached', { client_secret: SECRET }));
    expect(await adapter.find('cached')).toMatchObject({ client_secret: SECRET });
    await clients.upsertClient('cached', metadata('cached', { client_secret: 'rotated-elsewhere' }));
    expect(await adapter.find('cached')).toMatchObject({ client_secret: SECRET });
    nowMs += 5_000;
    expect(await adapter.find('cached')).toMatchObject({ client_secret: 'rotated-elsewhere' });
    await clients.deleteClient('cached');
    expect(await adapter.find('cached')).toMatchObject({ client_id: 'cached' });
    nowMs += 5_000;
    expect(await adapter.find('cached')).toBeUndefined();
  });
});
