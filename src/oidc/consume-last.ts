// A code or refresh token is spent only once everything it buys is saved. oidc-provider consumes
// it before saving the new tokens, across two stores (refresh tokens in Postgres, access tokens and
// codes in Redis), so a store that fails in between left the person holding a spent token and
// nothing to replace it: signed out by an infrastructure blip. Here the adapter only notes the
// consume, and this middleware performs it after the token response is ready: a request that ends
// in anything but 200 leaves the old token usable (RFC 6749 §5.1 and §5.2: a token is issued by a
// successful response only), and a request that loses the race to consume it gets invalid_grant,
// its tokens removed and the grant revoked (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
import Provider, { type Adapter, type AdapterFactory, type KoaContextWithOIDC } from 'oidc-provider';
import type Koa from 'koa';
import { RETRY_AFTER_SECONDS } from '../http/retry-after.js';
import type { Logger } from '../logger.js';
import { isConcurrentReuse } from './adapters/errors.js';
import { isStorageUnavailable } from '../storage/faults.js';
import { revokeGrant } from './revoke-grant.js';

const CONSUMED_LAST: ReadonlySet<string> = new Set(['AuthorizationCode', 'RefreshToken']);

interface PendingConsume {
  adapter: Adapter;
  id: string;
}

type Issued = { grantId?: string | undefined; destroy(): Promise<void> } | undefined;

export interface ConsumeLast {
  /** The adapter factory with AuthorizationCode and RefreshToken consumes held back during a request. */
  wrapAdapter(factory: AdapterFactory): AdapterFactory;
  /** Performs the held-back consumes once the response is a 200; mount in front of every other. */
  middleware: Koa.Middleware;
}

export function createConsumeLast(logger: Logger): ConsumeLast {
  // Requests this middleware is wrapping, with the consumes their handlers asked for.
  const pendingByRequest = new WeakMap<object, PendingConsume[]>();

  function holdBack(adapter: Adapter): Adapter {
    return {
      ...adapter,
      async consume(id: string) {
        const pending = Provider.ctx ? pendingByRequest.get(Provider.ctx) : undefined;
        if (!pending) return adapter.consume(id);
        pending.push({ adapter, id });
        return undefined;
      },
    };
  }

  function wrapAdapter(factory: AdapterFactory): AdapterFactory {
    const adapters = new Map<string, Adapter>();
    return (model: string) => {
      let adapter = adapters.get(model);
      if (!adapter) {
        const inner = (factory as (name: string) => Adapter)(model);
        adapter = CONSUMED_LAST.has(model) ? holdBack(inner) : inner;
        adapters.set(model, adapter);
      }
      return adapter;
    };
  }

  /** The tokens this request saved and will not hand out; best effort, nobody holds their values. */
  async function discardIssued(ctx: KoaContextWithOIDC): Promise<void> {
    const { entities } = ctx.oidc;
    const issued: Issued[] = [entities.AccessToken, entities.RotatedRefreshToken ? entities.RefreshToken : undefined];
    if (entities.AuthorizationCode) issued.push(entities.RefreshToken);
    await Promise.all(issued.map((token) => token?.destroy().catch((error: Error) => {
      logger.warn({ err: { name: error.name, message: error.message } }, 'could not remove a token that was never handed out');
    })));
  }

  function answer(ctx: Koa.Context, status: number, error: string, description: string): void {
    ctx.status = status;
    ctx.body = { error, error_description: description };
    ctx.set('Cache-Control', 'no-store');
    if (status === 503) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
  }

  async function loseRace(ctx: KoaContextWithOIDC): Promise<void> {
    const { entities, provider } = ctx.oidc;
    const spent = entities.RotatedRefreshToken ?? entities.AuthorizationCode;
    const grantId = spent?.grantId;
    const label = entities.RotatedRefreshToken ? 'refresh token already used' : 'authorization code already consumed';
    if (grantId) {
      // Awaited before answering, so once every racing request has its answer the grant and the
      // winner's tokens (saved before the winner consumed) are gone.
      await revokeGrant(provider, grantId);
      logger.warn({ grantId }, 'grant revoked after concurrent reuse of a code or refresh token');
      provider.emit('grant.revoked', ctx, grantId);
    }
    answer(ctx, 400, 'invalid_grant', label);
  }

  async function commitConsumesLast(ctx: Koa.Context, next: Koa.Next): Promise<void> {
    const pending: PendingConsume[] = [];
    pendingByRequest.set(ctx, pending);
    try {
      await next();
    } finally {
      pendingByRequest.delete(ctx);
    }
    if (pending.length === 0) return;
    const oidcCtx = ctx as unknown as KoaContextWithOIDC;
    if (ctx.status !== 200) {
      await discardIssued(oidcCtx);
      return;
    }
    try {
      for (const { adapter, id } of pending) await adapter.consume(id);
    } catch (error) {
      await discardIssued(oidcCtx);
      if (isConcurrentReuse(error)) {
        await loseRace(oidcCtx).catch((cause: Error) => {
          logger.error({ err: { name: cause.name, message: cause.message } }, 'could not revoke grant after concurrent reuse');
          answer(ctx, 400, 'invalid_grant', 'grant already used');
        });
        return;
      }
      if (!isStorageUnavailable(error)) throw error;
      answer(ctx, 503, 'temporarily_unavailable', 'the service is temporarily unavailable, retry shortly');
    }
  }

  return { wrapAdapter, middleware: commitConsumesLast };
}
