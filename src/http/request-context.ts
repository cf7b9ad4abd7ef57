// Where the current request came from, for code that runs inside it but is not handed the Koa
// context: oidc-provider calls the Session adapter with a payload only, yet the session index
// records the browser's address and user agent (issue 8). AsyncLocalStorage carries it there.
import { AsyncLocalStorage } from 'node:async_hooks';
import type Koa from 'koa';
import type { RequestOrigin } from '../services/audit.js';
import { requestMeta } from './request-meta.js';

const storage = new AsyncLocalStorage<RequestOrigin>();

/** The origin of the request being handled, or undefined outside one (CLI, background work). */
export function currentRequestOrigin(): RequestOrigin | undefined {
  return storage.getStore();
}

/** Runs the rest of the request with its origin (ctx.ip honours TRUST_PROXY) in reach. */
export function trackRequestOrigin(): Koa.Middleware {
  return function trackRequest(ctx, next) {
    return storage.run(requestMeta(ctx), () => next());
  };
}
