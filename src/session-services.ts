// The third part of the composition root (issue 8): what ends sessions and tells everyone —
// the back-channel logout outbox and its worker, live session events (Redis pub/sub across nodes,
// in process on one), the session limit, and the SessionEnder the account pages, the CLI and
// password/closure flows share. Built once the provider exists.
import type Provider from 'oidc-provider';
import type { AppContext } from './context.js';
import type { SessionIndexHooks } from './oidc/adapters/session-index.js';
import { createLogoutOutbox, createLogoutTokenMinter, routeProviderLogoutsThroughOutbox } from './oidc/backchannel-logout.js';
import { createSessionEnder } from './oidc/session-ending.js';
import { createLogoutTokenPoster } from './services/backchannel-http.js';
import { startLogoutDeliveryWorker, type LogoutDeliveryWorker } from './services/logout-deliveries.js';
import { createInProcessSessionEvents, type SessionEventBus } from './services/session-events.js';
import { findSessionIdsBeyond } from './storage/repositories/account-sessions.js';
import { createRedisSessionEvents } from './storage/redis-session-events.js';

export interface SessionServicesOptions {
  /** Run the outbox worker in this process (the server does; the CLI only queues). */
  deliver: boolean;
}

export async function createSessionServices(context: AppContext, provider: Provider, hooks: SessionIndexHooks, options: SessionServicesOptions) {
  const { config, database, redis, logger, audit } = context;
  const settings = config.settings.sessions;
  const events: SessionEventBus = redis
    ? await createRedisSessionEvents({
      redis, keyPrefix: config.redisKeyPrefix, onError: (error) => logger.warn({ err: { message: error.message } }, 'session event not published'),
    })
    : createInProcessSessionEvents();
  let worker: LogoutDeliveryWorker | undefined;
  const outbox = createLogoutOutbox(database, () => worker?.nudge());
  routeProviderLogoutsThroughOutbox(provider, outbox);
  const { revokeRefreshTokensOnEnd: policy } = settings;
  const sessionEnder = createSessionEnder({
    provider, outbox, events, audit, revokesOfflineGrants: (clientId) => policy.clients[clientId] ?? policy.default,
  });

  hooks.signedIn = async ({ accountId, sessionId, sessionUid, expiresInSeconds }) => {
    await events.publish({ type: 'session.created', accountId, sessionUid, at: new Date(Date.now() + expiresInSeconds * 1000).toISOString() });
    // The oldest sign-ins beyond the limit end, with back-channel logout like any other end.
    const beyond = await findSessionIdsBeyond(database, accountId, sessionId, settings.maxPerAccount - 1);
    await sessionEnder.endSessions(beyond, 'session-limit');
  };
  // RP-initiated logout (oidc-provider's end_session) with logout=yes ends the whole session.
  provider.on('end_session.success', (ctx: { oidc: { session?: { accountId?: string; uid?: string; destroyed?: boolean } } }) => {
    const session = ctx.oidc.session;
    if (!session?.destroyed || !session.accountId || !session.uid) return;
    void events.publish({ type: 'session.ended', accountId: session.accountId, sessionUid: session.uid, at: new Date().toISOString(), reason: 'logout' });
  });

  if (options.deliver) {
    worker = startLogoutDeliveryWorker({
      database,
      mint: createLogoutTokenMinter(provider),
      post: createLogoutTokenPoster(settings.backchannelLogout),
      settings: settings.backchannelLogout,
      logger,
    });
  }

  return {
    sessionEnder,
    sessionEvents: events,
    logoutDeliveries: worker,
    async close(): Promise<void> {
      await worker?.stop();
      await events.close();
    },
  };
}

export type SessionServices = Awaited<ReturnType<typeof createSessionServices>>;
