// GET /admin/api/events: Server-Sent Events for admins — every account's sessions as
// they are created and ended (through the SessionEventBus, so from every node), and a warning
// for each session about to expire. Expiry is not an event anyone publishes (it happens by the
// clock, and moves with every use of the session), so each stream looks it up in the session
// index every expiryScanSeconds. A stream ends when the admin's token expires, and at a scan that
// finds the token revoked or the account no longer an admin; the client reconnects with a fresh
// token (the SSE `retry`), and is checked again.
import type Koa from 'koa';
import { createEventStreams } from '../../http/event-stream.js';
import type { AdminCaller } from './bearer-auth.js';
import type { SessionEvent, SessionEventBus } from '../../services/session-events.js';
import type { SessionService } from '../../services/sessions.js';

// Warnings per scan at most; a flood of expiring sessions is better read from the list.
const MAX_WARNINGS_PER_SCAN = 500;

export function createAdminEventStream(deps: {
  sessions: SessionService;
  events: SessionEventBus;
  expiryWarningSeconds: number;
  expiryScanSeconds: number;
}) {
  const { sessions, events, expiryWarningSeconds, expiryScanSeconds } = deps;
  const streams = createEventStreams();

  async function streamEveryAccount(ctx: Koa.Context, caller: AdminCaller): Promise<void> {
    const { send, onClose, end } = streams.open(ctx);
    const unsubscribe = events.subscribeAll((event: SessionEvent) => {
      send(event.type, { account: event.accountId, session: event.sessionUid, at: event.at, reason: event.reason ?? null });
    });
    // session uid → the expiry already announced; announced again only if the session was used
    // since (its expiry moved) and is about to expire once more.
    const warned = new Map<string, number>();
    const scan = async () => {
      if (!(await caller.stillAdmin())) {
        end();
        return;
      }
      const now = Date.now();
      for (const [uid, expiresAt] of warned) if (expiresAt <= now) warned.delete(uid);
      const expiring = await sessions.expiringBy(new Date(now + expiryWarningSeconds * 1000), MAX_WARNINGS_PER_SCAN);
      for (const session of expiring) {
        if (warned.get(session.sessionUid) === session.expiresAt.getTime()) continue;
        warned.set(session.sessionUid, session.expiresAt.getTime());
        send('session.expiring', { account: session.accountId, session: session.sessionUid, at: session.expiresAt.toISOString(), reason: null });
      }
    };
    // A failed scan (storage briefly away) is tried again at the next tick.
    const scanner = setInterval(() => { scan().catch(() => undefined); }, expiryScanSeconds * 1000);
    const tokenExpiry = setTimeout(end, Math.max(0, caller.tokenExpiresAt - Date.now()));
    onClose(() => {
      unsubscribe();
      clearInterval(scanner);
      clearTimeout(tokenExpiry);
    });
    send('ready', { expiryWarningSeconds });
    await scan().catch(() => undefined);
  }

  return { streamEveryAccount, endAll: streams.endAll };
}
