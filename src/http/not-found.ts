// What a path nobody serves answers: the layout's 404 page for a browser (with the document's
// language and a title, and a way back), JSON `{"error":"not_found"}` for a client that prefers
// JSON or calls under an API prefix. It runs around everything else and acts only when no route
// set a body, so the protocol endpoints' own answers (JSON errors, renderError pages) stay theirs.
import type Koa from 'koa';
import { ACCOUNT_PATHS } from '../paths.js';
import type { Renderer } from './render.js';

export function answerNotFound(deps: { renderer: Renderer; wantsJson: (ctx: Koa.Context) => boolean }): Koa.Middleware {
  const { renderer, wantsJson } = deps;
  return async function answerUnservedPath(ctx, next) {
    await next();
    if (ctx.status !== 404 || ctx.body != null || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return;
    ctx.set('Cache-Control', 'no-store');
    if (wantsJson(ctx)) {
      ctx.status = 404;
      ctx.body = { error: 'not_found', error_description: 'There is nothing at this address.' };
      return;
    }
    await renderer.render(ctx, 'errors/not-found', { title: 'Page not found', homePath: '/', accountPath: ACCOUNT_PATHS.home }, 404);
  };
}
