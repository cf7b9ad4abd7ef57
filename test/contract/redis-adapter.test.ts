// The Redis adapter: the shared contract against the real Redis (TEST_REDIS_URL), what its key
// layout promises (TTLs, grant index, pointers), and how it fails when Redis is away.
import { randomUUID } from 'node:crypto';
import type { AdapterFactory, AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAdapterFactory } from '../../src/oidc/adapters/redis.js';
import { isStorageUnavailable } from '../../src/storage/faults.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openRedis } from '../../src/storage/open-redis.js';
import { checkEvictionPolicy, closeRedis, connectRedis, createRedisClient, pingRedis } from '../../src/storage/redis.js';
import { createTestRedis, deleteKeysWithPrefix, testRedisUrl, type TestRedis } from '../helpers/redis.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { runAdapterContract } from './adapter-contract.js';

describe.runIf(testRedisUrl)('redis adapter on the real Redis', () => {
  runAdapterContract('redis', async () => {
    const testRedis = await createTestRedis();
    return { factory: createRedisAdapterFactory(testRedis), cleanup: () => testRedis.close() };
  });
});

function payloadFor(extra: Partial<AdapterPayload> = {}): { id: string; payload: AdapterPayload } {
  const id = randomUUID();
  const iat = Math.floor(Date.now() / 1000);
  return { id, payload: { jti: id, iat, exp: iat + 600, clientId: 'redis-client', ...extra } };
}

describe.runIf(testRedisUrl)('redis adapter key layout', () => {
  let testRedis: TestRedis;
  let adapter: AdapterFactory;
  beforeAll(async () => {
    testRedis = await createTestRedis();
    adapter = createRedisAdapterFactory(testRedis);
  });
  afterAll(async () => { await testRedis?.close(); });

  const key = (suffix: string) => `${testRedis.keyPrefix}${suffix}`;

  it('sets the record’s TTL on the record, its uid pointer and its grant index', async () => {
    const uid = randomUUID();
    const grantId = randomUUID();
    const { id, payload } = payloadFor({ uid, grantId });
    await adapter('Session').upsert(id, payload, 300);
    const { redis } = testRedis;
    for (const name of [`Session:${id}`, `uid:${uid}`, `grant:${grantId}`]) {
      const ttl = await redis.ttl(key(name));
      expect(ttl, name).toBeGreaterThan(295);
      expect(ttl, name).toBeLessThanOrEqual(300);
    }
    expect(await redis.get(key(`uid:${uid}`))).toBe(id);
    expect(await redis.smembers(key(`grant:${grantId}`))).toEqual([key(`Session:${id}`)]);
  });

  it('gives a userCode pointer the record’s TTL', async () => {
    const userCode = randomUUID().slice(0, 8);
    const { id, payload } = payloadFor({ userCode });
    await adapter('DeviceCode').upsert(id, payload, 120);
    const ttl = await testRedis.redis.ttl(key(`userCode:${userCode}`));
    expect(ttl).toBeGreaterThan(115);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('keeps the grant index alive as long as its longest-lived member, never shorter', async () => {
    const grantId = randomUUID();
    const index = key(`grant:${grantId}`);
    const token = payloadFor({ grantId });
    await adapter('AccessToken').upsert(token.id, token.payload, 100);
    expect(await testRedis.redis.ttl(index)).toBeLessThanOrEqual(100);
    const code = payloadFor({ grantId });
    await adapter('AuthorizationCode').upsert(code.id, code.payload, 900);
    expect(await testRedis.redis.ttl(index)).toBeGreaterThan(895);
    const shortLived = payloadFor({ grantId });
    await adapter('AccessToken').upsert(shortLived.id, shortLived.payload, 30);
    expect(await testRedis.redis.ttl(index)).toBeGreaterThan(895);
    expect(await testRedis.redis.scard(index)).toBe(3);
  });

  it('revokes through the grant index, one model per call, and leaves other grants alone', async () => {
    const grantId = randomUUID();
    const tokens = [payloadFor({ grantId }), payloadFor({ grantId })];
    const code = payloadFor({ grantId });
    const otherGrant = payloadFor({ grantId: randomUUID() });
    for (const { id, payload } of [...tokens, otherGrant]) await adapter('AccessToken').upsert(id, payload, 600);
    await adapter('AuthorizationCode').upsert(code.id, code.payload, 600);
    const index = key(`grant:${grantId}`);

    await adapter('AccessToken').revokeByGrantId(grantId);
    for (const { id } of tokens) expect(await testRedis.redis.exists(key(`AccessToken:${id}`))).toBe(0);
    expect(await testRedis.redis.smembers(index)).toEqual([key(`AuthorizationCode:${code.id}`)]);
    expect(await testRedis.redis.exists(key(`AccessToken:${otherGrant.id}`))).toBe(1);

    await adapter('AuthorizationCode').revokeByGrantId(grantId);
    expect(await testRedis.redis.exists(key(`AuthorizationCode:${code.id}`))).toBe(0);
    expect(await testRedis.redis.exists(index)).toBe(0);
  });

  it('destroy removes the record from its grant index and drops pointers that still name it', async () => {
    const grantId = randomUUID();
    const uid = randomUUID();
    const { id, payload } = payloadFor({ grantId, uid });
    await adapter('Session').upsert(id, payload, 600);
    await adapter('Session').destroy(id);
    expect(await testRedis.keys(`*${id}*`)).toEqual([]);
    expect(await testRedis.redis.exists(key(`uid:${uid}`), key(`grant:${grantId}`))).toBe(0);
  });

  it('consume keeps the TTL and the payload bytes, adding `consumed` on the server clock', async () => {
    const { id, payload } = payloadFor({ grantId: randomUUID(), aud: [], scope: 'openid', nested: { list: [] }, big: 2 ** 53 - 1 });
    await adapter('AuthorizationCode').upsert(id, payload, 60);
    const [seconds] = await testRedis.redis.time();
    await adapter('AuthorizationCode').consume(id);
    const stored = await testRedis.redis.get(key(`AuthorizationCode:${id}`));
    expect(stored!.startsWith(JSON.stringify(payload).slice(0, -1))).toBe(true);
    const consumed = JSON.parse(stored!).consumed as number;
    expect(Math.abs(consumed - Number(seconds))).toBeLessThanOrEqual(1);
    expect(await adapter('AuthorizationCode').find(id)).toEqual({ ...payload, consumed });
    expect(await testRedis.redis.ttl(key(`AuthorizationCode:${id}`))).toBeGreaterThan(55);
  });

  it('re-saving a consumed record never un-consumes it', async () => {
    const { id, payload } = payloadFor({ grantId: randomUUID() });
    await adapter('RefreshToken').upsert(id, payload, 600);
    await adapter('RefreshToken').consume(id);
    await adapter('RefreshToken').upsert(id, { ...payload, scope: 'openid' }, 600);
    expect(await adapter('RefreshToken').find(id)).toMatchObject({ scope: 'openid', consumed: expect.any(Number) });
  });

  it('lets exactly one of 10 consumes win when they come from 10 connections (10 nodes)', async () => {
    const { id, payload } = payloadFor({ grantId: randomUUID() });
    await adapter('AuthorizationCode').upsert(id, payload, 600);
    const clients = await Promise.all(Array.from({ length: 10 }, async () => {
      const redis = createRedisClient({ url: testRedis.url, connectTimeoutMs: 2000, commandTimeoutMs: 2000 });
      await connectRedis(redis);
      return redis;
    }));
    try {
      const results = await Promise.allSettled(
        clients.map((redis) => createRedisAdapterFactory({ redis, keyPrefix: testRedis.keyPrefix })('AuthorizationCode').consume(id)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
        expect(r.reason).toMatchObject({ error: 'invalid_grant' });
      }
    } finally {
      await Promise.all(clients.map((redis) => closeRedis(redis)));
    }
  });

  it('stores ReplayDetection with SET NX: the replay is refused and the first record keeps its TTL', async () => {
    const { id, payload } = payloadFor({ iss: 'first' });
    await adapter('ReplayDetection').upsert(id, payload, 60);
    await expect(adapter('ReplayDetection').upsert(id, { ...payload, iss: 'second' }, 600)).rejects.toMatchObject({ error: 'invalid_request' });
    expect(JSON.parse((await testRedis.redis.get(key(`ReplayDetection:${id}`)))!)).toEqual(payload);
    expect(await testRedis.redis.ttl(key(`ReplayDetection:${id}`))).toBeLessThanOrEqual(60);
  });
});

describe('redis adapter when Redis does not answer', () => {
  it('rejects at once with an error the HTTP layer maps to 503, with no unhandled error event', async () => {
    const outages: Error[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const redis = createRedisClient({
      url: 'redis://127.0.0.1:1',
      connectTimeoutMs: 500,
      commandTimeoutMs: 500,
      onUnavailable: (error) => outages.push(error),
    });
    try {
      const adapter = createRedisAdapterFactory({ redis, keyPrefix: 'gh-test:closed:' });
      const started = Date.now();
      const calls = [
        adapter('Session').find(randomUUID()),
        adapter('AccessToken').upsert(randomUUID(), payloadFor().payload, 60),
        adapter('AuthorizationCode').consume(randomUUID()),
        adapter('ReplayDetection').upsert(randomUUID(), payloadFor().payload, 60),
        adapter('AccessToken').revokeByGrantId(randomUUID()),
      ];
      const results = await Promise.allSettled(calls);
      expect(Date.now() - started).toBeLessThan(1_000);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        const reason = (result as PromiseRejectedResult).reason as Error;
        expect(isStorageUnavailable(reason)).toBe(true);
        expect(reason.cause).toBeInstanceOf(Error);
      }
      // Let a few reconnect attempts fail: each is reported through the listener, once per outage.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(outages.length).toBe(1);
      expect(redis.listenerCount('error')).toBeGreaterThan(0);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await closeRedis(redis);
    }
  });

  it('refuses to connect within connectTimeoutMs and stops retrying', async () => {
    const redis = createRedisClient({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 500, commandTimeoutMs: 500 });
    const started = Date.now();
    await expect(connectRedis(redis)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_000);
    let attempts = 0;
    redis.on('connecting', () => { attempts += 1; });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(attempts).toBe(0);
  });
});

describe.runIf(testRedisUrl)('redis adapter across an outage', () => {
  it('answers 503-class errors while Redis is away and recovers on the same client when it returns', async () => {
    const target = new URL(testRedisUrl!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const events: string[] = [];
    const redis = createRedisClient({
      url: `redis://127.0.0.1:${proxy.port}`,
      connectTimeoutMs: 500,
      commandTimeoutMs: 500,
      onUnavailable: () => events.push('unavailable'),
      onRecovered: () => events.push('recovered'),
    });
    const keyPrefix = `gh-test:outage-${randomUUID()}:`;
    const adapter = createRedisAdapterFactory({ redis, keyPrefix })('Session');
    try {
      await connectRedis(redis);
      const { id, payload } = payloadFor();
      await adapter.upsert(id, payload, 60);

      await proxy.stop();
      const started = Date.now();
      const failure = await adapter.find(id).then(() => undefined, (error: unknown) => error);
      expect(isStorageUnavailable(failure)).toBe(true);
      expect(Date.now() - started).toBeLessThan(1_000);

      await proxy.start();
      let found: unknown;
      for (let attempt = 0; attempt < 60 && found === undefined; attempt += 1) {
        found = await adapter.find(id).catch(() => undefined);
        if (found === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(found).toEqual(payload);
      expect(events).toEqual(['unavailable', 'recovered']);
    } finally {
      if (redis.status === 'ready') await deleteKeysWithPrefix(redis, keyPrefix);
      await closeRedis(redis);
      await proxy.close();
    }
  });
});

describe('opening Redis for a process', () => {
  const env = { NODE_ENV: 'test', ENCRYPTION_KEY: 'x'.repeat(32), COOKIE_SECRETS: 'y'.repeat(32), LOG_LEVEL: 'silent' };

  it('opens nothing without REDIS_URL', async () => {
    expect(await openRedis(loadConfig({ env }), createLogger('silent'))).toBeUndefined();
  });

  it('refuses to start, naming REDIS_URL, when Redis does not answer', async () => {
    await expect(openRedis(loadConfig({ env: { ...env, REDIS_URL: 'redis://127.0.0.1:1' } }), createLogger('silent'))).rejects.toThrow(/^REDIS_URL: cannot connect/);
  });

  it.runIf(testRedisUrl)('connects to the test server, whose policy is noeviction, and answers ping', async () => {
    const redis = (await openRedis(loadConfig({ env: { ...env, REDIS_URL: testRedisUrl! } }), createLogger('silent')))!;
    try {
      expect(await checkEvictionPolicy(redis)).toBe('noeviction');
      await expect(pingRedis(redis)).resolves.toBeUndefined();
    } finally {
      await closeRedis(redis);
    }
  });
});
