// OpenID Back-Channel Logout 1.0 through one path: the durable outbox. oidc-provider's own
// delivery (RP-initiated logout) is a single attempt with a 2.5 s timeout, lost on a restart or a
// client that is briefly down; its Client#backchannelLogout is replaced here so that those
// notices are queued like every other session end (services/logout-deliveries.ts sends them).
import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { MintLogoutToken } from '../services/logout-deliveries.js';
import type { Database } from '../storage/db.js';
import { insertLogoutDeliveries, type NewLogoutDelivery } from '../storage/repositories/logout-deliveries.js';

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutOutbox {
  /** Queues one notice per client; resolves once they are stored. */
  enqueue(deliveries: Omit<NewLogoutDelivery, 'jti'>[]): Promise<void>;
  /** Calls `listener` after each enqueue (the delivery worker of this node, to send at once). */
  onQueued(listener: () => void): void;
}

export function createLogoutOutbox(database: Database): LogoutOutbox {
  const listeners: (() => void)[] = [];
  return {
    async enqueue(deliveries) {
      if (deliveries.length === 0) return;
      await insertLogoutDeliveries(database, deliveries.map((delivery) => ({ ...delivery, jti: randomUUID() })));
      for (const listener of listeners) listener();
    },
    onQueued(listener) {
      listeners.push(listener);
    },
  };
}

/**
 * A logout token as §2.4 has it, signed like the client's ID tokens with the provider's keys:
 * iss, aud, iat, exp (2 minutes), jti, events, sub and sid, no nonce, typ logout+jwt. Minted per
 * attempt so a retry an hour later is not already expired; the jti stays the delivery's own.
 */
export function createLogoutTokenMinter(provider: Provider): MintLogoutToken {
  return async (delivery) => {
    const client = await provider.Client.find(delivery.clientId);
    if (!client?.backchannelLogoutUri) return undefined;
    const token = new provider.IdToken({ sub: delivery.accountId }, { client });
    // As oidc-provider's own delivery does: sub is the only claim, whatever the client's scope.
    (token as unknown as { mask: unknown }).mask = { sub: null };
    token.set('events', { [BACKCHANNEL_LOGOUT_EVENT]: {} });
    token.set('jti', delivery.jti);
    if (delivery.sid) token.set('sid', delivery.sid);
    return { uri: client.backchannelLogoutUri, token: await token.issue({ use: 'logout' }) };
  };
}

/** oidc-provider's end_session calls Client#backchannelLogout(sub, sid) per client: queue it instead. */
export function routeProviderLogoutsThroughOutbox(provider: Provider, outbox: LogoutOutbox): void {
  const prototype = provider.Client.prototype as unknown as { backchannelLogout(sub: string, sid: string | undefined): Promise<void> };
  prototype.backchannelLogout = async function queueBackchannelLogout(this: { clientId: string }, sub, sid) {
    await outbox.enqueue([{ clientId: this.clientId, accountId: sub, sid, reason: 'logout' }]);
  };
}
