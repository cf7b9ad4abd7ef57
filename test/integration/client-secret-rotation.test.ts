// Secret rotation in the client service, on real storage, with a clock the test moves: the
// previous secret is accepted exactly until its overlap ends, an overlap of 0 stops it at once, and
// neither secret is ever part of what is listed or shown. The HTTP side (the provider accepting
// the previous secret at the token endpoint) is in admin-api-clients.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { createLogger } from '../../src/logger.js';
import { createAuditLog } from '../../src/services/audit.js';
import { createClientService } from '../../src/services/clients.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';

const ADMIN = { by: 'admin:test' };

describe.each(storageKinds)('client secret rotation on %s', (kind) => {
  let testDatabase: TestDatabase;
  let nowMs = Date.parse('2026-12-01T10:00:00Z');
  beforeAll(async () => { testDatabase = await createTestDatabase(kind); });
  afterAll(() => testDatabase?.close());

  function service(overlapSeconds: number) {
    const { database } = testDatabase;
    return createClientService({
      database, secretBox: createSecretBox('k'.repeat(32)), supportedScopes: ['openid', 'offline_access', 'profile', 'email'],
      audit: createAuditLog({ database, logger: createLogger('silent') }), revokeClientTokens: async () => ({ grants: 0 }),
      secretRotationOverlapSeconds: overlapSeconds, maxRefreshTokenTtlSeconds: 86_400, now: () => nowMs,
    });
  }

  it('accepts the previous secret until the overlap ends, and the new one throughout', async () => {
    const clients = service(600);
    const { clientId, clientSecret: first } = await clients.register({ name: 'app', redirectUris: ['https://a.example/cb'] });
    const { clientSecret: second, previousSecretExpiresAt } = await clients.rotateSecret(clientId, ADMIN);
    expect(previousSecretExpiresAt).toEqual(new Date(nowMs + 600_000));
    expect(await clients.acceptsSecret(clientId, second)).toBe(true);
    expect(await clients.acceptsSecret(clientId, first!)).toBe(true);
    expect(await clients.acceptsSecret(clientId, `${first}x`)).toBe(false);
    expect(await clients.acceptsSecret('no-such-client', second)).toBe(false);

    nowMs += 599_000;
    expect(await clients.acceptsSecret(clientId, first!)).toBe(true);
    nowMs += 1_000;
    expect(await clients.acceptsSecret(clientId, first!)).toBe(false);
    expect(await clients.acceptsSecret(clientId, second)).toBe(true);

    // A second rotation keeps only the secret it replaces.
    const { clientSecret: third } = await clients.rotateSecret(clientId, ADMIN);
    expect(await clients.acceptsSecret(clientId, second)).toBe(true);
    expect(await clients.acceptsSecret(clientId, first!)).toBe(false);
    expect(await clients.acceptsSecret(clientId, third)).toBe(true);
    const shown = JSON.stringify([await clients.show(clientId), await clients.list()]);
    for (const secret of [first!, second, third]) expect(shown).not.toContain(secret);
  });

  it('stops the previous secret at once when the overlap is 0', async () => {
    const clients = service(0);
    const { clientId, clientSecret: first } = await clients.register({ name: 'leaked', redirectUris: ['https://a.example/cb'] });
    const rotated = await clients.rotateSecret(clientId, ADMIN);
    expect(rotated.previousSecretExpiresAt).toBeUndefined();
    expect(await clients.acceptsSecret(clientId, first!)).toBe(false);
    expect(await clients.acceptsSecret(clientId, rotated.clientSecret)).toBe(true);
    expect((await clients.show(clientId)).previousSecretExpiresAt).toBeUndefined();
  });

  it('has no secret to rotate for a public client', async () => {
    const clients = service(600);
    const { clientId } = await clients.register({ name: 'spa', public: true, redirectUris: ['https://a.example/cb'] });
    await expect(clients.rotateSecret(clientId, ADMIN)).rejects.toMatchObject({ status: 409 });
  });

  it('keeps the secrets through an update', async () => {
    const clients = service(600);
    const { clientId, clientSecret: first } = await clients.register({ name: 'app', redirectUris: ['https://a.example/cb'] });
    const { clientSecret: second } = await clients.rotateSecret(clientId, ADMIN);
    await clients.update(clientId, { name: 'renamed', refreshTokenTtl: 3600 }, ADMIN);
    expect(await clients.acceptsSecret(clientId, second)).toBe(true);
    expect(await clients.acceptsSecret(clientId, first!)).toBe(true);
    expect((await clients.show(clientId)).metadata).toMatchObject({ client_name: 'renamed', refresh_token_ttl: 3600 });
  });
});
