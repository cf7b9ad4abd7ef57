// Every answer of the token, introspection, revocation and PAR endpoints (success, OAuth error,
// 404, 405, 429 or 503) says `Cache-Control: no-store` (RFC 6749 §5.1, RFC 9700): a shared cache
// must never keep a token or an error about one. Set before and again after the rest of the
// request, so an answer that replaces the headers on its way out keeps it too.
import type Koa from 'koa';

export function noStoreOn(paths: readonly string[]): Koa.Middleware {
  const exact = new Set(paths);
  return async function forbidCaching(ctx, next) {
    if (!exact.has(ctx.path)) return next();
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } finally {
      ctx.set('Cache-Control', 'no-store');
    }
  };
}
