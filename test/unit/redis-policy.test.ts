import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { storeForModel } from '../../src/oidc/adapters/index.js';
import { checkEvictionPolicy, reconnectDelayMs, redisEvictionRisk, type RedisClient } from '../../src/storage/redis.js';

describe('redisEvictionRisk', () => {
  it('is false only for noeviction', () => {
    expect(redisEvictionRisk('noeviction')).toBe(false);
  });

  it.each(['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'unknown', ''])(
    'is true for %j: evicted replay or lockout records reopen an attack',
    (policy) => { expect(redisEvictionRisk(policy)).toBe(true); },
  );
});

describe('checkEvictionPolicy', () => {
  const answering = (config: () => Promise<unknown>, info?: () => Promise<string>) => ({ config, info }) as unknown as RedisClient;
  const refusingConfig = async () => { throw new Error("ERR unknown command 'CONFIG'"); };

  it('reads the policy from CONFIG GET', async () => {
    expect(await checkEvictionPolicy(answering(async () => ['maxmemory-policy', 'allkeys-lru']))).toBe('allkeys-lru');
  });

  it('reads it from INFO memory where CONFIG is disabled or renamed (managed Redis)', async () => {
    const info = async () => '# Memory\r\nused_memory:1024\r\nmaxmemory_policy:volatile-lru\r\nallocator_frag_ratio:1.00\r\n';
    expect(await checkEvictionPolicy(answering(refusingConfig, info))).toBe('volatile-lru');
    expect(await checkEvictionPolicy(answering(async () => [], info))).toBe('volatile-lru');
  });

  it('says unknown where neither CONFIG nor INFO tells', async () => {
    expect(await checkEvictionPolicy(answering(refusingConfig, async () => { throw new Error('NOPERM'); }))).toBe('unknown');
    expect(await checkEvictionPolicy(answering(async () => { throw new Error("ERR unknown command 'CONFIG'"); }))).toBe('unknown');
    expect(await checkEvictionPolicy(answering(async () => []))).toBe('unknown');
  });
});

describe('reconnectDelayMs', () => {
  it('backs off, is capped, and never gives up', () => {
    const delays = [1, 2, 3, 10, 1_000, 1e9].map(reconnectDelayMs);
    expect(delays[0]).toBeLessThan(delays[1]!);
    for (const delay of delays) {
      expect(typeof delay).toBe('number');
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
  });
});

describe('model routing', () => {
  it.each(['Session', 'Interaction', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PushedAuthorizationRequest', 'ReplayDetection', 'AccessToken', 'ClientCredentials'])(
    'puts %s in Redis when there is one, in Postgres otherwise',
    (model) => {
      expect(storeForModel(model, true)).toBe('redis');
      expect(storeForModel(model, false)).toBe('postgres');
    },
  );

  it.each(['Grant', 'RefreshToken', 'RegistrationAccessToken', 'InitialAccessToken', 'SomeFutureModel'])('keeps %s in Postgres', (model) => {
    expect(storeForModel(model, true)).toBe('postgres');
  });

  it('keeps Client in oidc_clients', () => {
    expect(storeForModel('Client', true)).toBe('clients');
  });
});

describe('Redis configuration', () => {
  const env = { NODE_ENV: 'test', ENCRYPTION_KEY: 'x'.repeat(32), COOKIE_SECRETS: 'y'.repeat(32) } as const;

  it('is off by default, with the gatehouse: prefix and timeouts from defaults.json', () => {
    const config = loadConfig({ env });
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisKeyPrefix).toBe('gatehouse:');
    expect(config.settings.redis).toEqual({ connectTimeoutMs: expect.any(Number), commandTimeoutMs: expect.any(Number) });
  });

  it('accepts redis:// and rediss:// and refuses anything else, naming REDIS_URL', () => {
    expect(loadConfig({ env: { ...env, REDIS_URL: 'rediss://cache:6380', REDIS_KEY_PREFIX: 'idp:' } })).toMatchObject({ redisUrl: 'rediss://cache:6380', redisKeyPrefix: 'idp:' });
    expect(() => loadConfig({ env: { ...env, REDIS_URL: 'http://cache:6379' } })).toThrow(/REDIS_URL/);
  });
});
