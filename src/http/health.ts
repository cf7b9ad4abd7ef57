// /healthz: the process answers. /readyz: its storage answers too, so a load balancer can stop
// sending traffic to a node that cannot serve it.
import Router from '@koa/router';
import type { Database } from '../storage/db.js';

export function createHealthRouter(deps: { database: Database }): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await deps.database.ping();
      ctx.body = { status: 'ok', checks: { database: 'ok' } };
    } catch {
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      ctx.body = { status: 'unavailable', checks: { database: 'unavailable' } };
    }
  });
  return router;
}
