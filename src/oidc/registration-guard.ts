// In front of oidc-provider's registration endpoint (RFC 7591) and client configuration endpoint
// (RFC 7592): reads the JSON body within a bound, refuses hostile or non-conforming metadata with
// the RFC 7591 §3.2.2 codes before the provider parses anything, and hands the provider only the
// metadata Gatehouse's client rules produced. After an RFC 7592 delete, the client's grants and
// the tokens issued under them are revoked.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { AdapterFactory } from 'oidc-provider';
import { AppError } from '../errors.js';
import { InvalidJsonError, NulCharacterError, PayloadTooLargeError, readJson } from '../http/body.js';
import { RegistrationMetadataError, registrationMetadata } from '../services/client-registration-policy.js';
import type { Queryable } from '../storage/db.js';
import { findPayloadIdsByClientId } from '../storage/repositories/oidc-payloads.js';
import { revokeGrantIn } from './revoke-grant.js';

// A client's metadata with twenty redirect URIs fits in a few KiB; oidc-provider itself stops at 56.
export const REGISTRATION_BODY_LIMIT_BYTES = 32 * 1024;

export interface RegistrationGuardDeps {
  provider: Provider;
  offeredScopes: readonly string[];
  adapters: AdapterFactory;
  database: Queryable;
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

/** Ends what a deleted client holds: grants are always in Postgres; their tokens go from either store. */
export async function revokeClientGrants(deps: Pick<RegistrationGuardDeps, 'adapters' | 'database'>, clientId: string): Promise<number> {
  const grantIds = await findPayloadIdsByClientId(deps.database, 'Grant', clientId);
  for (const grantId of grantIds) await revokeGrantIn(deps.adapters, grantId);
  return grantIds.length;
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

  return async function guardRegistrationRequests(ctx, next) {
    const clientId = clientPath.exec(ctx.path)?.[1];
    const writes = (ctx.method === 'POST' && ctx.path === base) || (ctx.method === 'PUT' && clientId !== undefined);
    // Another content type is left to the provider, which refuses it without reading it.
    if (writes && ctx.is('application/json')) {
      const metadata = registrationMetadata(await readRegistrationBody(ctx), deps.offeredScopes);
      // The stream is read; oidc-provider then takes the parsed body from here.
      (ctx.request as { body?: unknown }).body = metadata;
    }
    await next();
    if (ctx.method === 'DELETE' && clientId !== undefined && ctx.status === 204) {
      await revokeClientGrants(deps, decodeURIComponent(clientId));
    }
  };
}
