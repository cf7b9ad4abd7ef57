// A Redis client for one test on the real server (TEST_REDIS_URL), under a key prefix of its own so
// test files can share the server: close() removes only that prefix's keys, never FLUSHDB.
import { randomBytes } from 'node:crypto';
import { closeRedis, connectRedis, createRedisClient, type RedisClient } from '../../src/storage/redis.js';

export const testRedisUrl: string | undefined = process.env.TEST_REDIS_URL || undefined;

export interface TestRedis {
  redis: RedisClient;
  url: string;
  keyPrefix: string;
  /** Every key under this test's prefix. */
  keys(pattern?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function deleteKeysWithPrefix(redis: RedisClient, keyPrefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export async function createTestRedis(options: { commandTimeoutMs?: number; url?: string | undefined; keyPrefix?: string | undefined } = {}): Promise<TestRedis> {
  const url = options.url ?? testRedisUrl;
  if (!url) throw new Error('TEST_REDIS_URL is not set');
  // A given prefix lets several apps share one Redis keyspace, as nodes of one deployment do.
  const keyPrefix = options.keyPrefix ?? `gh-test:${randomBytes(6).toString('hex')}:`;
  const redis = createRedisClient({ url, connectTimeoutMs: 2000, commandTimeoutMs: options.commandTimeoutMs ?? 2000 });
  await connectRedis(redis);
  return {
    redis,
    url,
    keyPrefix,
    async keys(pattern = '*') {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}${pattern}`, 'COUNT', 500);
        found.push(...keys);
        cursor = next;
      } while (cursor !== '0');
      return found;
    },
    async close() {
      await deleteKeysWithPrefix(redis, keyPrefix);
      await closeRedis(redis);
    },
  };
}
