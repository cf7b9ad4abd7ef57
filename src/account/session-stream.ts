// GET /account/events (issue 8): Server-Sent Events for the signed-in person — another session of
// theirs was created or ended, or this one is about to expire. Events come from the
// SessionEventBus (Redis pub/sub across nodes), so a session ended on any node shows up here.
// The sessions page (public/sessions.js) listens; without JavaScript the page works as before.
import type { ServerResponse } from 'node:http';
import type { SessionEvent, SessionEventBus } from '../services/session-events.js';
import type { Database } from '../storage/db.js';
import { findAccountSession } from '../storage/repositories/account-sessions.js';
import { accountOf, type AccountStep } from './steps.js';

const HEARTBEAT_MS = 25_000;
// setTimeout cannot wait longer than this; a stream is not open that long anyway.
const MAX_TIMER_MS = 2 ** 31 - 1;
// A proxy or browser that reconnects waits this long first (SSE `retry`).
const RETRY_MS = 5_000;

export function createSessionStream(deps: { database: Database; events: SessionEventBus; expiryWarningSeconds: number }) {
  const { database, events, expiryWarningSeconds } = deps;
  const open = new Set<ServerResponse>();

  async function expiryOf(accountId: string, sessionId: string): Promise<{ uid: string; expiresAt: Date } | undefined> {
    const row = await findAccountSession(database, accountId, sessionId);
    return row ? { uid: row.sessionUid, expiresAt: row.expiresAt } : undefined;
  }

  const streamSessionEvents: AccountStep = async function streamSessionEvents(ctx) {
    const { user, sessionId } = accountOf(ctx);
    const current = await expiryOf(user.id, sessionId);
    // Written straight to the socket (Koa does not respond): a stream ends when the browser goes,
    // which is no error to report.
    ctx.respond = false;
    const stream = ctx.res;
    ctx.req.socket.setTimeout(0);
    stream.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // nginx and similar proxies would otherwise hold events back in a buffer.
      'X-Accel-Buffering': 'no',
    });
    open.add(stream);
    const send = (type: string, data: object) => stream.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    const unsubscribe = events.subscribe(user.id, (event: SessionEvent) => {
      send(event.type, { session: event.sessionUid, at: event.at, reason: event.reason ?? null, current: event.sessionUid === current?.uid });
    });
    let expiryTimer: NodeJS.Timeout | undefined;
    // The expiry moves with every use of the session (idle timeout): look again when the time comes.
    const watchExpiry = (expiresAt: Date) => {
      const delayMs = expiresAt.getTime() - expiryWarningSeconds * 1000 - Date.now();
      if (delayMs > MAX_TIMER_MS) return;
      expiryTimer = setTimeout(() => {
        expiryOf(user.id, sessionId).then((now) => {
          if (!now) return;
          if (now.expiresAt.getTime() - Date.now() <= expiryWarningSeconds * 1000 + 1000) {
            send('session.expiring', { session: now.uid, at: now.expiresAt.toISOString(), current: true });
          } else {
            watchExpiry(now.expiresAt);
          }
        }, () => undefined);
      }, Math.max(0, delayMs));
    };
    if (current) watchExpiry(current.expiresAt);
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const cleanUp = () => {
      unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(expiryTimer);
      open.delete(stream);
    };
    stream.once('close', cleanUp);
    stream.write(`retry: ${RETRY_MS}\n\n`);
    send('ready', { session: current?.uid ?? null, expiresAt: current?.expiresAt.toISOString() ?? null });
  };

  return {
    streamSessionEvents,
    /** Ends every open stream, so a shutdown does not wait for them to drain. */
    endAll(): void {
      for (const stream of open) stream.end();
    },
  };
}
