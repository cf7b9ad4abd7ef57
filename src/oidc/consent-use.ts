// When an app last used what the person allowed it, for /account/apps: a sign-in to the app
// (authorization.success, once per completed authorization request) and a token refresh
// (grant.success with the refresh_token grant). One conditional UPDATE each, which writes at
// most once a minute per app and person (storage/repositories/consents.ts); never per request.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../logger.js';
import type { Consents } from '../services/consents.js';

export function noteConsentUse(provider: Provider, consents: Pick<Consents, 'noteUse'>, logger: Logger): void {
  const events: NodeJS.EventEmitter = provider;
  // A listener runs inside the provider's request: a failure here must not fail the sign-in.
  function note(accountId: string | undefined, clientId: string | undefined): void {
    if (!accountId || !clientId) return;
    consents.noteUse(accountId, clientId).catch((error: Error) => {
      logger.warn({ err: { name: error.name, message: error.message } }, 'last use of an app not noted');
    });
  }
  events.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    note(ctx.oidc.session?.accountId, ctx.oidc.client?.clientId);
  });
  events.on('grant.success', (ctx: KoaContextWithOIDC) => {
    if (ctx.oidc.params?.grant_type !== 'refresh_token') return;
    note(ctx.oidc.entities.Grant?.accountId, ctx.oidc.client?.clientId);
  });
}
