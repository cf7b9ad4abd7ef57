// /healthz: the process answers. /readyz: its storage answers too (the database, and Redis when
// configured), so a load balancer can stop sending traffic to a node that cannot serve it.
import Router from '@koa/router';
import type { Database } from '../storage/db.js';
import { pingRedis, type RedisClient } from '../storage/redis.js';

type Check = 'ok' | 'unavailable';

// A store that has not answered a ping by now is not serving this node's requests within their
// budget either. Well under the 5 s a load balancer's health check usually waits (AWS ALB: 5 s).
export const PROBE_TIMEOUT_MS = 2000;

async function check(probe: () => Promise<unknown>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Check>((resolve) => { timer = setTimeout(resolve, PROBE_TIMEOUT_MS, 'unavailable'); });
  const answered = probe().then((): Check => 'ok', (): Check => 'unavailable');
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
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
