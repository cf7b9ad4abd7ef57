// Token endpoint limit per client. A point is reserved before oidc-provider
// issues anything, against the client_id the request claims, so parallel requests on any number
// of nodes can never be served more than the limit (the counter is atomic and shared). A request
// that then fails to authenticate as that client gets its point back, so nobody can use up a
// client's budget by sending its client_id with a wrong secret. Over the limit: 429, an OAuth
// error body and Retry-After; a client known to be spent in this node is refused before any work.
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
 * The client a JWT client assertion names (RFC 7523 §3: sub is the client_id), read without
 * verifying it: it only picks the counter, and oidc-provider verifies the assertion itself.
 */
function assertionClientId(assertion: string | null): string | undefined {
  const payload = assertion?.split('.')[1];
  if (!payload) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' && sub.length > 0 ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a urlencoded body for the client it claims (client_id, or a client assertion's subject)
 * and puts an identical stream back in its place, so oidc-provider parses the request exactly
 * as it arrived.
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
  const form = new URLSearchParams(body.toString('utf8'));
  return form.get('client_id') ?? assertionClientId(form.get('client_assertion'));
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

  function refuse(ctx: Koa.Context, wait: number): void {
    ctx.status = 429;
    ctx.set('Retry-After', String(wait));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'temporarily_unavailable', error_description: `too many token requests for this client; retry after ${wait} seconds` };
  }

  /** Counts one request of the client; marks it spent here once its last point is used. */
  async function count(clientId: string): Promise<{ allowed: boolean; wait: number }> {
    const decision = await limiter.hit(keyOf(clientId), rule);
    const resetSeconds = decision.allowed ? (decision.remaining === 0 ? decision.resetAfterSeconds : undefined) : decision.retryAfterSeconds;
    if (resetSeconds !== undefined) spentUntil.set(clientId, Date.now() + resetSeconds * 1000);
    return { allowed: decision.allowed, wait: decision.allowed ? 0 : decision.retryAfterSeconds };
  }

  /**
   * After the answer: a point reserved for a client the request did not prove goes back, and a
   * client the request did not name up front (an unusual assertion) is counted now. The answer is
   * decided by then, tokens perhaps issued and a refresh token rotated, so a counter store that does
   * not answer must not turn it into an error the client would retry with a spent token: that
   * count is skipped.
   */
  async function settleCount(claimed: string | undefined, authenticated: string | undefined): Promise<void> {
    try {
      let countedFor = claimed;
      if (countedFor !== undefined && countedFor !== authenticated) {
        await limiter.refund(keyOf(countedFor), rule);
        spentUntil.delete(countedFor);
        countedFor = undefined;
      }
      if (authenticated !== undefined && countedFor === undefined) await count(authenticated);
    } catch (error) {
      if (!isStorageUnavailable(error)) throw error;
    }
  }

  return async function limitTokenRequests(ctx, next) {
    if (ctx.method !== 'POST' || ctx.path !== tokenPath) return next();
    if (spentUntil.size > 0) forgetEndedWindows(Date.now());
    const named = basicClientId(ctx.get('authorization')) ?? (await peekBodyClientId(ctx));
    // A client_id is VSCHAR (RFC 6749 Appendix A.1); anything else names no client, is refused as
    // invalid_client by the provider, and must not reach the counter store (Postgres refuses a NUL).
    const claimed = named !== undefined && /^[\x20-\x7E]{1,255}$/.test(named) ? named : undefined;
    const spentWait = secondsLeft(claimed);
    if (spentWait > 0) return refuse(ctx, spentWait);
    // Reserve before issuing: counting afterwards let parallel requests all pass the check.
    if (claimed !== undefined) {
      const reserved = await count(claimed);
      if (!reserved.allowed) return refuse(ctx, reserved.wait);
    }
    try {
      await next();
    } finally {
      const { client } = (ctx as unknown as KoaContextWithOIDC).oidc ?? {};
      // 401 is invalid_client: the request did not prove it was this client.
      const authenticated = client && ctx.status !== 401 ? client.clientId : undefined;
      await settleCount(claimed, authenticated);
    }
    return undefined;
  };
}
