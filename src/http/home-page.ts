// The root URL: a small page saying what this server is, with the way to one's own account and
// the discovery document app developers need. Nothing about accounts or clients is shown.
import Router from '@koa/router';
import { ACCOUNT_PATHS } from '../paths.js';
import type { Renderer } from './render.js';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

export function createHomeRouter(renderer: Renderer): Router {
  const router = new Router();
  router.get('/', async function showHome(ctx) {
    await renderer.render(ctx, 'home', { title: 'Sign-in service', accountPath: ACCOUNT_PATHS.home, discoveryPath: DISCOVERY_PATH });
  });
  return router;
}
