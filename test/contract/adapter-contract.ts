// The behaviour every oidc-provider adapter (Postgres payload table, later Redis) must show. It
// talks only to the adapter interface and to oidc-provider itself, never to a store directly.
import { randomUUID } from 'node:crypto';
import Provider, { type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export interface AdapterUnderTest {
  factory: AdapterFactory;
  cleanup(): Promise<void>;
}

const TTL_SECONDS = 600;

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function payloadFor(kind: string, extra: Partial<AdapterPayload> = {}): { id: string; payload: AdapterPayload } {
  const id = randomUUID();
  const iat = nowSeconds();
  return { id, payload: { jti: id, kind, iat, exp: iat + TTL_SECONDS, clientId: 'contract-client', ...extra } };
}

/** oidc-provider sets `consumed` on redeemable models; its type declarations omit it. */
function consumedOf(model: unknown): unknown {
  return (model as { consumed?: unknown } | undefined)?.consumed;
}

function settledCounts(results: PromiseSettledResult<unknown>[]): { fulfilled: number; rejected: unknown[] } {
  return {
    fulfilled: results.filter((r) => r.status === 'fulfilled').length,
    rejected: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason),
  };
}

export function runAdapterContract(name: string, makeFactory: () => Promise<AdapterUnderTest>): void {
  describe(`oidc-provider adapter contract: ${name}`, () => {
    let underTest: AdapterUnderTest;
    const adapter = (model: string): Adapter => underTest.factory(model);

    beforeAll(async () => { underTest = await makeFactory(); });
    afterAll(async () => { await underTest?.cleanup(); });

    describe('upsert and find', () => {
      it.each(['Session', 'AuthorizationCode', 'RefreshToken', 'AccessToken', 'DeviceCode', 'Interaction', 'Grant'])(
        'stores and returns a %s payload unchanged',
        async (model) => {
          const { id, payload } = payloadFor(model, { grantId: randomUUID(), scope: 'openid email', aud: ['a', 'b'] });
          await adapter(model).upsert(id, payload, TTL_SECONDS);
          expect(await adapter(model).find(id)).toEqual(payload);
        },
      );

      it('returns undefined for an unknown id', async () => {
        expect(await adapter('AccessToken').find(randomUUID())).toBeUndefined();
      });

      it('keeps models apart: one id under two models is two records', async () => {
        const { id, payload } = payloadFor('AccessToken');
        await adapter('AccessToken').upsert(id, payload, TTL_SECONDS);
        expect(await adapter('RefreshToken').find(id)).toBeUndefined();
      });

      it.each(['Session', 'AccessToken', 'Interaction', 'Grant'])('overwrites an existing %s on upsert', async (model) => {
        const { id, payload } = payloadFor(model, { accountId: 'first' });
        await adapter(model).upsert(id, payload, TTL_SECONDS);
        await adapter(model).upsert(id, { ...payload, accountId: 'second' }, TTL_SECONDS);
        expect(await adapter(model).find(id)).toMatchObject({ accountId: 'second' });
      });

      it('keeps a payload saved without expiresIn', async () => {
        const { id, payload } = payloadFor('Grant');
        await adapter('Grant').upsert(id, payload);
        expect(await adapter('Grant').find(id)).toEqual(payload);
      });
    });

    describe('findByUid and findByUserCode', () => {
      it('finds a Session by its uid', async () => {
        const uid = randomUUID();
        const { id, payload } = payloadFor('Session', { uid, accountId: 'alice' });
        await adapter('Session').upsert(id, payload, TTL_SECONDS);
        expect(await adapter('Session').findByUid(uid)).toEqual(payload);
        expect(await adapter('Session').findByUid(randomUUID())).toBeUndefined();
      });

      it('follows the uid when a Session is saved under a new id and the old one destroyed', async () => {
        const uid = randomUUID();
        const first = payloadFor('Session', { uid });
        await adapter('Session').upsert(first.id, first.payload, TTL_SECONDS);
        const second = payloadFor('Session', { uid });
        await adapter('Session').upsert(second.id, second.payload, TTL_SECONDS);
        await adapter('Session').destroy(first.id);
        expect(await adapter('Session').findByUid(uid)).toEqual(second.payload);
      });

      it('finds a DeviceCode by its userCode', async () => {
        const userCode = randomUUID().slice(0, 8).toUpperCase();
        const { id, payload } = payloadFor('DeviceCode', { userCode, deviceInfo: { ip: '192.0.2.1' } });
        await adapter('DeviceCode').upsert(id, payload, TTL_SECONDS);
        expect(await adapter('DeviceCode').findByUserCode(userCode)).toEqual(payload);
        expect(await adapter('DeviceCode').findByUserCode('NOPE-NOPE')).toBeUndefined();
      });
    });

    describe('expiry', () => {
      it('stops returning a record once expiresIn has passed, by id, uid and userCode', async () => {
        const uid = randomUUID();
        const userCode = randomUUID().slice(0, 8);
        const session = payloadFor('Session', { uid });
        const device = payloadFor('DeviceCode', { userCode });
        const lasting = payloadFor('Session');
        await adapter('Session').upsert(session.id, session.payload, 1);
        await adapter('DeviceCode').upsert(device.id, device.payload, 1);
        await adapter('Session').upsert(lasting.id, lasting.payload, TTL_SECONDS);
        expect(await adapter('Session').find(session.id)).toBeDefined();
        await sleep(1_500);
        expect(await adapter('Session').find(session.id)).toBeUndefined();
        expect(await adapter('Session').findByUid(uid)).toBeUndefined();
        expect(await adapter('DeviceCode').find(device.id)).toBeUndefined();
        expect(await adapter('DeviceCode').findByUserCode(userCode)).toBeUndefined();
        expect(await adapter('Session').find(lasting.id)).toEqual(lasting.payload);
      });
    });

    describe('destroy', () => {
      it('removes the record, and destroying an unknown id is harmless', async () => {
        const { id, payload } = payloadFor('AccessToken');
        await adapter('AccessToken').upsert(id, payload, TTL_SECONDS);
        await adapter('AccessToken').destroy(id);
        expect(await adapter('AccessToken').find(id)).toBeUndefined();
        await expect(adapter('AccessToken').destroy(randomUUID())).resolves.toBeUndefined();
      });
    });

    describe('consume', () => {
      it.each(['AuthorizationCode', 'RefreshToken', 'DeviceCode'])('marks a %s consumed with epoch seconds', async (model) => {
        const { id, payload } = payloadFor(model, { grantId: randomUUID() });
        await adapter(model).upsert(id, payload, TTL_SECONDS);
        const before = nowSeconds();
        await adapter(model).consume(id);
        const found = await adapter(model).find(id);
        expect(found).toMatchObject({ ...payload, consumed: expect.any(Number) });
        expect(found!.consumed).toBeGreaterThanOrEqual(before - 1);
        expect(found!.consumed).toBeLessThanOrEqual(nowSeconds() + 1);
      });

      it('refuses a second consume with invalid_grant (RFC 6749 §4.1.2: a code is used once)', async () => {
        const { id, payload } = payloadFor('AuthorizationCode');
        await adapter('AuthorizationCode').upsert(id, payload, TTL_SECONDS);
        await adapter('AuthorizationCode').consume(id);
        await expect(adapter('AuthorizationCode').consume(id)).rejects.toMatchObject({ error: 'invalid_grant' });
      });

      it.each(['AuthorizationCode', 'RefreshToken'])('lets exactly one of 10 concurrent consumes of one %s win', async (model) => {
        const { id, payload } = payloadFor(model);
        await adapter(model).upsert(id, payload, TTL_SECONDS);
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => adapter(model).consume(id)));
        const { fulfilled, rejected } = settledCounts(results);
        expect(fulfilled).toBe(1);
        expect(rejected).toHaveLength(9);
        for (const reason of rejected) expect(reason).toMatchObject({ error: 'invalid_grant' });
        expect(await adapter(model).find(id)).toMatchObject({ consumed: expect.any(Number) });
      });

      it('refuses a racing reuse of a pushed authorization request with invalid_request_uri', async () => {
        const { id, payload } = payloadFor('PushedAuthorizationRequest');
        await adapter('PushedAuthorizationRequest').upsert(id, payload, TTL_SECONDS);
        await adapter('PushedAuthorizationRequest').consume(id);
        await expect(adapter('PushedAuthorizationRequest').consume(id)).rejects.toMatchObject({ error: 'invalid_request_uri' });
      });
    });

    describe('revokeByGrantId', () => {
      it('removes only that grant’s records of that model', async () => {
        const grantId = randomUUID();
        const otherGrantId = randomUUID();
        const tokens = [payloadFor('AccessToken', { grantId }), payloadFor('AccessToken', { grantId })];
        const otherGrantToken = payloadFor('AccessToken', { grantId: otherGrantId });
        const refresh = payloadFor('RefreshToken', { grantId });
        for (const { id, payload } of [...tokens, otherGrantToken]) await adapter('AccessToken').upsert(id, payload, TTL_SECONDS);
        await adapter('RefreshToken').upsert(refresh.id, refresh.payload, TTL_SECONDS);

        await adapter('AccessToken').revokeByGrantId(grantId);

        for (const { id } of tokens) expect(await adapter('AccessToken').find(id)).toBeUndefined();
        expect(await adapter('AccessToken').find(otherGrantToken.id)).toEqual(otherGrantToken.payload);
        expect(await adapter('RefreshToken').find(refresh.id)).toEqual(refresh.payload);

        await adapter('RefreshToken').revokeByGrantId(grantId);
        expect(await adapter('RefreshToken').find(refresh.id)).toBeUndefined();
      });

      it('removes a grant with many records completely', async () => {
        const grantId = randomUUID();
        const tokens = Array.from({ length: 60 }, () => payloadFor('AccessToken', { grantId }));
        await Promise.all(tokens.map(({ id, payload }) => adapter('AccessToken').upsert(id, payload, TTL_SECONDS)));
        await adapter('AccessToken').revokeByGrantId(grantId);
        const left = await Promise.all(tokens.map(({ id }) => adapter('AccessToken').find(id)));
        expect(left.filter(Boolean)).toHaveLength(0);
      });
    });

    describe('ReplayDetection is insert-only', () => {
      it('refuses a second insert of a live id and keeps the first record', async () => {
        const { id, payload } = payloadFor('ReplayDetection', { iss: 'first' });
        await adapter('ReplayDetection').upsert(id, payload, TTL_SECONDS);
        await expect(adapter('ReplayDetection').upsert(id, { ...payload, iss: 'second' }, TTL_SECONDS))
          .rejects.toMatchObject({ error: 'invalid_request' });
        expect(await adapter('ReplayDetection').find(id)).toEqual(payload);
      });

      it('lets exactly one of 10 concurrent inserts of one id succeed', async () => {
        const { id, payload } = payloadFor('ReplayDetection');
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () => adapter('ReplayDetection').upsert(id, payload, TTL_SECONDS)),
        );
        expect(settledCounts(results).fulfilled).toBe(1);
      });

      it('accepts the id again once the earlier record has expired', async () => {
        const { id, payload } = payloadFor('ReplayDetection');
        await adapter('ReplayDetection').upsert(id, payload, 1);
        await sleep(1_500);
        await expect(adapter('ReplayDetection').upsert(id, payload, TTL_SECONDS)).resolves.toBeUndefined();
        expect(await adapter('ReplayDetection').find(id)).toEqual(payload);
      });
    });

    describe('through oidc-provider', () => {
      let provider: Provider;
      beforeAll(() => { provider = new Provider('http://localhost:3000', { adapter: underTest.factory }); });

      it('ReplayDetection.unique accepts a jti once and rejects its replay', async () => {
        const jti = randomUUID();
        const exp = nowSeconds() + 60;
        expect(await provider.ReplayDetection.unique('client', jti, exp)).toBe(true);
        expect(await provider.ReplayDetection.unique('client', jti, exp)).toBe(false);
      });

      it('ReplayDetection.unique lets exactly one of 10 concurrent uses of one jti through', async () => {
        const jti = randomUUID();
        const exp = nowSeconds() + 60;
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () => provider.ReplayDetection.unique('client', jti, exp)),
        );
        const accepted = results.filter((r) => r.status === 'fulfilled' && r.value === true);
        expect(accepted).toHaveLength(1);
      });

      it('an authorization code found by 10 requests at once is consumed by exactly one', async () => {
        const code = new provider.AuthorizationCode({
          accountId: 'alice',
          grantId: randomUUID(),
          redirectUri: 'https://rp.example/cb',
          scope: 'openid',
          client: { clientId: 'contract-client' } as never,
        } as never);
        const value = await code.save();
        const found = await Promise.all(Array.from({ length: 10 }, () => provider.AuthorizationCode.find(value)));
        for (const each of found) expect(consumedOf(each)).toBeUndefined();
        const results = await Promise.allSettled(found.map((each) => each!.consume()));
        expect(settledCounts(results).fulfilled).toBe(1);
        expect(consumedOf(await provider.AuthorizationCode.find(value))).toEqual(expect.any(Number));
      });
    });
  });
}
