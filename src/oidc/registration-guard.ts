// In front of oidc-provider's registration endpoint (RFC 7591) and client configuration endpoint
// (RFC 7592): reads the JSON body within a bound, refuses hostile or non-conforming metadata with
// the RFC 7591 §3.2.2 codes before the provider parses anything, and hands the provider only the
// metadata Gatehouse's client rules produced. An RFC 7592 delete revokes the client's grants and
// tokens as an admin's delete does.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { AppError, RateLimitedError } from '../errors.js';
import { InvalidJsonError, NulCharacterError, PayloadTooLargeError, readJson } from '../http/body.js';
import { RegistrationMetadataError, registrationMetadata } from '../services/client-registration-policy.js';
import type { RevokeClientTokens } from '../services/client-revocation.js';
import type { RateLimit, RateLimiter } from '../services/rate-limiter.js';

// A client's metadata with twenty redirect URIs fits in a few KiB; oidc-provider itself stops at 56.
export const REGISTRATION_BODY_LIMIT_BYTES = 32 * 1024;

export interface RegistrationGuardDeps {
  provider: Provider;
  offeredScopes: readonly string[];
  /** What deleting a client through the admin API or the CLI does too (oidc/client-revocation.ts). */
  revokeClientTokens: RevokeClientTokens;
  limiter: RateLimiter;
  /** New registrations from one IP: in open mode anyone could otherwise fill the client table. */
  perIp: RateLimit;
}

async function readRegistrationBody(ctx: Koa.Context): Promise<unknown> {
  try {
    return await readJson(ctx, REGISTRATION_BODY_LIMIT_BYTES);
  } catch (error) {
    // RFC 7591 §3.2.2 answers every refusal of the request's content with a 400.
    if (error instanceof PayloadTooLargeError) {
      throw new RegistrationMetadataError('invalid_client_metadata', `the request is larger than ${REGISTRATION_BODY_LIMIT_BYTES / 1024} KiB`);
    }
    if (error instanceof NulCharacterError) throw new RegistrationMetadataError('invalid_client_metadata', 'the metadata contains a NUL character');
    if (error instanceof InvalidJsonError) throw new AppError('The request body is not valid JSON.', { status: 400, code: 'invalid_request' });
    throw error;
  }
}

function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function guardRegistration(deps: RegistrationGuardDeps): Koa.Middleware {
  let base: string;
  try {
    base = deps.provider.pathFor('registration');
  } catch {
    // Registration is off: the provider has no such route, and there is nothing to guard.
    return (_ctx, next) => next();
  }
  const clientPath = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/([^/]+)$`);

  /** Whether the request carries this client's registration access token (RFC 7592 §1.1). */
  async function managesClient(ctx: Koa.Context, clientId: string): Promise<boolean> {
    const bearer = /^Bearer ([\x21-\x7E]{1,512})$/i.exec(ctx.get('authorization'))?.[1];
    if (!bearer) return false;
    return (await deps.provider.RegistrationAccessToken.find(bearer))?.clientId === clientId;
  }

  async function passMetadataOn(ctx: Koa.Context): Promise<void> {
    const metadata = registrationMetadata(await readRegistrationBody(ctx), deps.offeredScopes);
    // The stream is read; oidc-provider then takes the parsed body from here.
    (ctx.request as { body?: unknown }).body = metadata;
  }

  return async function guardRegistrationRequests(ctx, next) {
    const segment = clientPath.exec(ctx.path)?.[1];
    const clientId = segment === undefined ? undefined : decodedSegment(segment);
    // Another content type is left to the provider, which refuses it without reading it.
    if (ctx.method === 'POST' && ctx.path === base) {
      const decision = await deps.limiter.hit(`client-registration:ip:${ctx.ip}`, deps.perIp);
      if (!decision.allowed) {
        throw new RateLimitedError(`Too many client registrations from this address. Try again in ${decision.retryAfterSeconds} seconds.`, decision.retryAfterSeconds);
      }
      if (ctx.is('application/json')) await passMetadataOn(ctx);
    } else if (clientId !== undefined && (ctx.method === 'PUT' || ctx.method === 'DELETE') && await managesClient(ctx, clientId)) {
      // Without the client's own token the provider answers 401 before reading anything.
      if (ctx.method === 'PUT' && ctx.is('application/json')) await passMetadataOn(ctx);
      // Before the deletion, so that a storage fault leaves the client in place for a retry.
      if (ctx.method === 'DELETE') await deps.revokeClientTokens(clientId);
    }
    await next();
    // Again after it, for what was issued in between (as the client service's delete does).
    if (ctx.method === 'DELETE' && clientId !== undefined && ctx.status === 204) await deps.revokeClientTokens(clientId);
  };
}
