// A grantable token presented twice at once: the storage adapter lets exactly one request win,
// and oidc-provider's own reuse handling (which revokes the grant) only runs for a reuse it sees in
// sequence. Codes and refresh tokens are consumed last and their lost races revoked in
// consume-last.ts; this listener remains for a conflict raised inside oidc-provider's handling of a
// request that names the spent token. RFC 9700 §4.14.2 asks that every token of the grant be revoked.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../logger.js';
import { isConcurrentReuse } from './adapters/errors.js';
import { revokeGrant } from './revoke-grant.js';

export function revokeGrantOnConcurrentReuse(provider: Provider, logger: Logger): void {
  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: unknown) => {
    if (!isConcurrentReuse(error)) return;
    const entities = ctx.oidc.entities;
    const grantId = entities.RefreshToken?.grantId ?? entities.AuthorizationCode?.grantId;
    if (!grantId) return;
    revokeGrant(provider, grantId)
      .then(() => logger.warn({ grantId }, 'grant revoked after concurrent reuse of a code or refresh token'))
      .catch((cause: Error) => logger.error({ grantId, err: { message: cause.message } }, 'could not revoke grant after concurrent reuse'));
  });
}
