// The only place an ioredis client is built. Settings favour failing fast over waiting: a command
// issued while Redis is away is refused at once (no offline queue) or after commandTimeoutMs, so a
// request answers 503 instead of hanging; the client keeps reconnecting in the background, so the
// same process recovers when Redis returns.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { StorageUnavailableError } from '../errors.js';
import { refuseAfterDeadline } from './request-deadline.js';

export type RedisClient = Redis;

export interface RedisClientOptions {
  url: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Called once when Redis becomes unreachable (not on every reconnect attempt). */
  onUnavailable?: (error: Error) => void;
  /** Called when Redis answers again after onUnavailable. */
  onRecovered?: () => void;
}

const MAX_RECONNECT_DELAY_MS = 2_000;

/** Delay before reconnect attempt `attempt` (1, 2, …): 50 ms doubling, capped, never giving up. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 16), MAX_RECONNECT_DELAY_MS);
}

export function createRedisClient(options: RedisClientOptions): RedisClient {
  if (!/^rediss?:\/\//.test(options.url)) throw new TypeError('url must be a redis:// or rediss:// URL');
  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A write whose reply was lost may have run; sending it again could consume a code twice and
    // make its rightful redeemer look like a replay. Better to fail the request.
    autoResendUnfulfilledCommands: false,
    retryStrategy: reconnectDelayMs,
  });
  let unavailable = false;
  // Without a listener ioredis reports each failed reconnect on stderr; with one, a dead Redis is
  // reported once per outage and never surfaces as an unhandled 'error' event.
  redis.on('error', (error: Error) => {
    if (unavailable) return;
    unavailable = true;
    options.onUnavailable?.(error);
  });
  redis.on('ready', () => {
    if (!unavailable) return;
    unavailable = false;
    options.onRecovered?.();
  });
  return redis;
}

/** Opens the connection; rejects (and stops reconnecting) if Redis does not answer within connectTimeoutMs. */
export async function connectRedis(redis: RedisClient): Promise<void> {
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}

export async function closeRedis(redis: RedisClient): Promise<void> {
  // QUIT lets replies in flight arrive; any other state has nothing in flight to wait for.
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}

export async function pingRedis(redis: RedisClient): Promise<void> {
  await redis.ping();
}

/**
 * True when Redis may drop keys under memory pressure. Any policy other than noeviction can evict
 * a replay-detection or lockout record before it expires, silently reopening what it guarded.
 */
export function redisEvictionRisk(policy: string): boolean {
  return policy !== 'noeviction';
}

/**
 * The server's maxmemory-policy from CONFIG GET, else from INFO memory (managed Redis often
 * disables or renames CONFIG but answers INFO), or 'unknown' where neither tells.
 */
export async function checkEvictionPolicy(redis: RedisClient): Promise<string> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(reply) && typeof reply[1] === 'string') return reply[1];
    if (reply && typeof reply === 'object' && 'maxmemory-policy' in reply) return String((reply as Record<string, unknown>)['maxmemory-policy']);
  } catch {
    // Fall through to INFO.
  }
  try {
    const info = await redis.info('memory');
    return /^maxmemory_policy:([a-z-]+)\r?$/m.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// Server replies that mean "Redis cannot serve this now" rather than "this command is wrong".
const UNAVAILABLE_REPLIES = /^(OOM|LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MISCONF)\b/;

/**
 * Runs one Redis call; a connection failure, timeout or unavailable server becomes
 * StorageUnavailableError (503), while an error reply to a wrong command stays what it is (a bug).
 */
export async function callRedis<T>(call: () => Promise<T>): Promise<T> {
  refuseAfterDeadline();
  try {
    return await call();
  } catch (error) {
    const reply = error instanceof Error && error.name === 'ReplyError';
    if (reply && !UNAVAILABLE_REPLIES.test(error.message)) throw error;
    throw new StorageUnavailableError(error);
  }
}

export type RedisScript = (redis: RedisClient, keys: string[], args: Array<string | number>) => Promise<unknown>;

/** A Lua script sent by digest (EVALSHA), and in full only when the server does not have it yet. */
export function defineScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (redis, keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return redis.eval(lua, keys.length, ...keys, ...args);
    }
  };
}
