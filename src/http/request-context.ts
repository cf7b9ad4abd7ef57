// Where the current request came from, for code that runs inside it but is not handed the Koa
// context: oidc-provider calls the Session adapter with a payload only, yet the session index
// records the browser's address and user agent. AsyncLocalStorage carries it there.
import { AsyncLocalStorage } from 'node:async_hooks';
import { isIP } from 'node:net';
import type Koa from 'koa';
import type { RequestOrigin } from '../services/audit.js';
import { requestMeta } from './request-meta.js';

const storage = new AsyncLocalStorage<RequestOrigin>();

/** The origin of the request being handled, or undefined outside one (CLI, background work). */
export function currentRequestOrigin(): RequestOrigin | undefined {
  return storage.getStore();
}

/**
 * Runs the rest of the request with its origin (ctx.ip honours TRUST_PROXY) in reach. A forwarded
 * "address" that is not an IP address (a proxy passing junk on) is replaced by the peer's, here,
 * once: every rate-limit key and audit row reads ctx.ip.
 */
export function trackRequestOrigin(): Koa.Middleware {
  return function trackRequest(ctx, next) {
    if (!isIP(ctx.ip)) ctx.request.ip = ctx.req.socket.remoteAddress ?? '';
    return storage.run(requestMeta(ctx), () => next());
  };
}
