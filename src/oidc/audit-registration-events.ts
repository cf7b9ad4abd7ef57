// Clients registered, updated and deleted through dynamic registration (RFC 7591 / RFC 7592), from
// oidc-provider's events into the audit trail: the client id and how it authenticates, never its
// secret or either registration token.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { requestMeta } from '../http/request-meta.js';
import type { Logger } from '../logger.js';
import type { AuditEventType, AuditLog } from '../services/audit.js';

const EVENTS: ReadonlyArray<[string, AuditEventType]> = [
  ['registration_create.success', 'client.registered'],
  ['registration_update.success', 'client.updated'],
  ['registration_delete.success', 'client.deleted'],
];

interface ClientLike { clientId: string; clientAuthMethod?: string }

export function auditRegistrationEvents(provider: Provider, audit: AuditLog, logger: Logger): void {
  const events: NodeJS.EventEmitter = provider;
  for (const [event, type] of EVENTS) {
    events.on(event, (ctx: KoaContextWithOIDC, client: ClientLike) => {
      audit.record({
        type,
        outcome: 'success',
        clientId: client.clientId,
        ...requestMeta(ctx),
        detail: {
          by: 'dynamic-registration',
          authMethod: client.clientAuthMethod ?? null,
          // Whether an admin's initial access token vouched for the registration (token mode).
          withInitialAccess: Boolean(ctx.oidc.entities.InitialAccessToken),
        },
      }).catch((error: Error) => {
        logger.error({ event, err: { name: error.name, message: error.message } }, 'audit listener failed');
      });
    });
  }
}
