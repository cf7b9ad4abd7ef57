// Tokens issued and revoked, and sign-outs, taken from oidc-provider's own events (docs/events.md)
// into the audit trail. Identifiers only: for opaque tokens the id (jti) is the bearer value
// itself, so no token id is ever recorded; the grant id, which cannot be presented anywhere,
// links a token's issue to its revocation.
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { requestMeta } from '../http/request-meta.js';
import type { Logger } from '../logger.js';
import type { AuditLog } from '../services/audit.js';
import { isConcurrentReuse } from './adapters/errors.js';

// Why a grant was revoked, by the provider route that revoked it.
const REVOKED_BY_ROUTE: Record<string, string> = {
  revocation: 'revoked_by_client',
  end_session_confirm: 'logout',
  token: 'reuse_detected',
};

interface TokenLike { accountId?: string | undefined; clientId?: string | undefined; grantId?: string | undefined }

/** Records token.issued, token.revoked and logout rows for everything the provider does. */
export function auditProviderEvents(provider: Provider, audit: AuditLog, logger: Logger): void {
  // A listener runs inside oidc-provider's request handling: whatever goes wrong here must not
  // fail the token request or the sign-out it describes.
  // Seen as a plain EventEmitter: the handlers below declare the arguments of docs/events.md.
  const events: NodeJS.EventEmitter = provider;
  function listen<A extends unknown[]>(event: string, handler: (...args: A) => Promise<void>): void {
    events.on(event, (...args: unknown[]) => {
      handler(...(args as A)).catch((error: Error) => {
        logger.error({ event, err: { name: error.name, message: error.message } }, 'audit listener failed');
      });
    });
  }

  listen('grant.success', async (ctx: KoaContextWithOIDC) => {
    const { entities, params, client } = ctx.oidc;
    const grantType = String(params?.grant_type ?? '');
    const accessToken = entities.AccessToken ?? entities.ClientCredentials;
    // Every token request writes one: batched (audit.recordSoon), not a commit each.
    audit.recordSoon({
      type: 'token.issued',
      outcome: 'success',
      accountId: entities.Account?.accountId ?? entities.Grant?.accountId,
      clientId: client?.clientId,
      ...requestMeta(ctx),
      detail: {
        grantType,
        scope: accessToken?.scope ?? null,
        refreshIssued: grantType === 'refresh_token' ? Boolean(entities.RotatedRefreshToken) : Boolean(entities.RefreshToken),
        grantId: entities.Grant?.jti ?? null,
      },
    });
  });

  listen('grant.error', async (ctx: KoaContextWithOIDC, error: { error?: string }) => {
    const { entities, params, client } = ctx.oidc;
    const source: TokenLike | undefined = entities.AuthorizationCode ?? entities.RefreshToken ?? entities.DeviceCode;
    audit.recordSoon({
      type: 'token.issued',
      outcome: 'failure',
      accountId: source?.accountId,
      clientId: client?.clientId ?? source?.clientId,
      ...requestMeta(ctx),
      detail: {
        grantType: typeof params?.grant_type === 'string' ? params.grant_type : null,
        error: error.error ?? 'server_error',
        concurrentReuse: isConcurrentReuse(error),
        grantId: source?.grantId ?? null,
      },
    });
  });

  listen('grant.revoked', async (ctx: KoaContextWithOIDC, grantId: string) => {
    const { entities, session, route } = ctx.oidc;
    const token: TokenLike | undefined = entities.RefreshToken ?? entities.AccessToken ?? entities.AuthorizationCode;
    // At sign-out each of the session's grants is revoked: its client is found by grant id.
    const sessionClient = Object.entries(session?.authorizations ?? {}).find(([, authorization]) => authorization.grantId === grantId)?.[0];
    await audit.record({
      type: 'token.revoked',
      outcome: 'success',
      accountId: token?.accountId ?? session?.accountId,
      clientId: sessionClient ?? token?.clientId ?? ctx.oidc.client?.clientId,
      ...requestMeta(ctx),
      detail: { grantId, reason: REVOKED_BY_ROUTE[route] ?? route },
    });
  });

  // A token revoked at the revocation endpoint (RFC 7009). For an access token oidc-provider then
  // revokes the grant's other tokens too but keeps the grant (revokeGrantPolicy), so no
  // grant.revoked follows; for a refresh token one does.
  for (const [event, kind] of [['access_token.destroyed', 'access'], ['refresh_token.destroyed', 'refresh'], ['client_credentials.destroyed', 'client_credentials']] as const) {
    listen(event, async (token: TokenLike) => {
      const ctx = Provider.ctx;
      if (ctx?.oidc.route !== 'revocation') return;
      await audit.record({
        type: 'token.revoked',
        outcome: 'success',
        accountId: token.accountId,
        clientId: token.clientId,
        ...requestMeta(ctx),
        detail: { kind, grantId: token.grantId ?? null, reason: 'revoked_by_client' },
      });
    });
  }

  listen('end_session.success', async (ctx: KoaContextWithOIDC) => {
    const { session, client, params } = ctx.oidc;
    await audit.record({
      type: 'logout',
      outcome: 'success',
      accountId: session?.accountId,
      clientId: client?.clientId,
      ...requestMeta(ctx),
      // logout=yes ends the whole browser session; otherwise only the asking client's part of it.
      detail: { ended: params?.logout ? 'session' : 'client' },
    });
  });
}
