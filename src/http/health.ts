// /healthz: the process answers. /readyz: its storage answers too (the database, and Redis when
// configured), so a load balancer can stop sending traffic to a node that cannot serve it.
import Router from '@koa/router';
import type { Database } from '../storage/db.js';
import { pingRedis, type RedisClient } from '../storage/redis.js';

type Check = 'ok' | 'unavailable';

async function check(probe: () => Promise<unknown>): Promise<Check> {
  try {
    await probe();
    return 'ok';
  } catch {
    return 'unavailable';
  }
}

export function createHealthRouter(deps: { database: Database; redis?: RedisClient | undefined }): Router {
  const { database, redis } = deps;
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const [databaseCheck, redisCheck] = await Promise.all([
      check(() => database.ping()),
      redis ? check(() => pingRedis(redis)) : undefined,
    ]);
    const checks = { database: databaseCheck, ...(redisCheck ? { redis: redisCheck } : {}) };
    if (Object.values(checks).every((value) => value === 'ok')) {
      ctx.body = { status: 'ok', checks };
      return;
    }
    ctx.status = 503;
    ctx.set('Retry-After', '5');
    ctx.body = { status: 'unavailable', checks };
  });
  return router;
}
