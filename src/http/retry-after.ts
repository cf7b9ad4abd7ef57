// Every 503 says when to come back (RFC 9110 §10.2.3), including oidc-provider's own answers.
import type Koa from 'koa';

export const RETRY_AFTER_SECONDS = 5;

export function retryAfterOnUnavailable(): Koa.Middleware {
  return async function addRetryAfter(ctx, next) {
    await next();
    if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
  };
}
