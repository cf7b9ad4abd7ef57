// Opens the Redis client of a process when REDIS_URL is set: connected, its eviction policy
// checked (production refuses anything but noeviction), and its outages and recoveries reported
// once each rather than on every retry.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { checkEvictionPolicy, closeRedis, connectRedis, createRedisClient, redisEvictionRisk, type RedisClient } from './redis.js';

export async function openRedis(config: Config, logger: Logger): Promise<RedisClient | undefined> {
  if (!config.redisUrl) return undefined;
  const redis = createRedisClient({
    url: config.redisUrl,
    ...config.settings.redis,
    onUnavailable: (error) => logger.error({ err: { message: error.message } }, 'redis is unavailable; requests that need it answer 503 until it returns'),
    onRecovered: () => logger.info('redis is available again'),
  });
  try {
    await connectRedis(redis);
  } catch (error) {
    throw new Error(`REDIS_URL: cannot connect to Redis: ${(error as Error).message}`, { cause: error });
  }
  const policy = await checkEvictionPolicy(redis);
  if (redisEvictionRisk(policy)) {
    // DESIGN §4: an evicted replay-detection or lockout record silently reopens an attack
    // (a code used twice, RFC 6749 §4.1.2; attempts no longer limited, NIST 800-63B §5.2.2), so production refuses.
    const reason = policy === 'unknown'
      ? 'redis maxmemory-policy cannot be read (CONFIG GET and INFO memory both refused), so noeviction cannot be confirmed: under memory pressure Redis may drop replay-detection records and codes before they expire. '
        + 'Allow CONFIG GET or INFO for Gatehouse\'s Redis user'
      : `redis maxmemory-policy is ${policy}, not noeviction: under memory pressure Redis may drop replay-detection records and codes before they expire. `
        + 'Run CONFIG SET maxmemory-policy noeviction and set it in redis.conf (or your provider\'s parameter group)';
    if (config.env === 'production') {
      await closeRedis(redis);
      throw new Error(`REDIS_URL: ${reason}`);
    }
    logger.error({ maxmemoryPolicy: policy }, reason);
  }
  return redis;
}
