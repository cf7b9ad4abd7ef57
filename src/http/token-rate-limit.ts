// Token endpoint limit per client (issue 6 item 1). Only requests that authenticated as the
// client are counted (after oidc-provider has answered), so nobody can use up a client's budget
// by sending its client_id with a wrong secret. One counter write per request: the hit that uses
// a client's last point marks it spent in this node until its window starts over, and requests
// claiming that client_id are refused before any work. Over the limit: 429, an OAuth error body
// and Retry-After.
import { Readable } from 'node:stream';
import type Koa from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RateLimit, RateLimiter } from '../services/rate-limiter.js';
import { isStorageUnavailable } from '../storage/faults.js';

// oidc-provider's own cap on token request bodies; anything larger it refuses itself.
const BODY_LIMIT_BYTES = 56 * 1024;

/** client_id from HTTP Basic (RFC 6749 §2.3.1: form-urlencoded inside), or undefined. */
export function basicClientId(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Reads a urlencoded body for its client_id and puts an identical stream back in its place, so
 * oidc-provider parses the request exactly as it arrived.
 */
async function peekBodyClientId(ctx: Koa.Context): Promise<string | undefined> {
  if (!ctx.is('application/x-www-form-urlencoded')) return undefined;
  const declared = ctx.request.length;
  if (declared !== undefined && declared > BODY_LIMIT_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req) {
    received += (chunk as Buffer).length;
    chunks.push(chunk as Buffer);
    if (received > BODY_LIMIT_BYTES) break;
  }
  const body = Buffer.concat(chunks);
  const replay = Readable.from([body]) as Readable & { headers: typeof ctx.req.headers };
  replay.headers = ctx.req.headers;
  ctx.req = replay as unknown as typeof ctx.req;
  return new URLSearchParams(body.toString('utf8')).get('client_id') ?? undefined;
}

export function limitTokenRequestsPerClient(deps: { limiter: RateLimiter; rule: RateLimit; tokenPath?: string }): Koa.Middleware {
  const { limiter, rule } = deps;
  const tokenPath = deps.tokenPath ?? '/token';
  const keyOf = (clientId: string) => `token:client:${clientId}`;
  // client_id → when its window starts over (epoch ms), for clients whose budget is spent.
  const spentUntil = new Map<string, number>();

  /** Forgets windows that have started over, so a spent client that never comes back stops costing a body read. */
  function forgetEndedWindows(now: number): void {
    for (const [clientId, until] of spentUntil) if (until <= now) spentUntil.delete(clientId);
  }

  function secondsLeft(clientId: string | undefined): number {
    const until = clientId === undefined ? undefined : spentUntil.get(clientId);
    return until === undefined ? 0 : Math.ceil((until - Date.now()) / 1000);
  }

  return async function limitTokenRequests(ctx, next) {
    if (ctx.method !== 'POST' || ctx.path !== tokenPath) return next();
    if (spentUntil.size > 0) forgetEndedWindows(Date.now());
    // The body is only read for its client_id while some client's budget is spent.
    const wait = spentUntil.size === 0 ? 0 : secondsLeft(basicClientId(ctx.get('authorization')) ?? (await peekBodyClientId(ctx)));
    if (wait > 0) {
      ctx.status = 429;
      ctx.set('Retry-After', String(wait));
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { error: 'temporarily_unavailable', error_description: `too many token requests for this client; retry after ${wait} seconds` };
      return undefined;
    }
    await next();
    const { client } = (ctx as unknown as KoaContextWithOIDC).oidc ?? {};
    // 401 is invalid_client: the request did not prove it was this client.
    if (!client || ctx.status === 401) return undefined;
    // The answer is decided by now, tokens perhaps issued and a refresh token rotated: a counter
    // store that does not answer must not turn it into an error the client would retry with a
    // spent token. That hit goes uncounted; the next ones are counted when the store is back.
    let decision: Awaited<ReturnType<RateLimiter['hit']>>;
    try {
      decision = await limiter.hit(keyOf(client.clientId), rule);
    } catch (error) {
      if (!isStorageUnavailable(error)) throw error;
      return undefined;
    }
    const resetSeconds = decision.allowed ? (decision.remaining === 0 ? decision.resetAfterSeconds : undefined) : decision.retryAfterSeconds;
    if (resetSeconds !== undefined) spentUntil.set(client.clientId, Date.now() + resetSeconds * 1000);
    return undefined;
  };
}
