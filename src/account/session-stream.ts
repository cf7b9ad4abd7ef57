// GET /account/events: Server-Sent Events for the signed-in person — another session of
// theirs was created or ended, or this one is about to expire. Events come from the
// SessionEventBus (Redis pub/sub across nodes), so a session ended on any node shows up here.
// The sessions page (public/sessions.js) listens; without JavaScript the page works as before.
import { createEventStreams } from '../http/event-stream.js';
import type { SessionEvent, SessionEventBus } from '../services/session-events.js';
import type { SessionService } from '../services/sessions.js';
import { accountOf, type AccountStep } from './steps.js';

// setTimeout cannot wait longer than this; a stream is not open that long anyway.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function createSessionStream(deps: { sessions: SessionService; events: SessionEventBus; expiryWarningSeconds: number }) {
  const { sessions, events, expiryWarningSeconds } = deps;
  const streams = createEventStreams();

  async function expiryOf(accountId: string, sessionId: string): Promise<{ uid: string; expiresAt: Date } | undefined> {
    const row = await sessions.find(accountId, sessionId);
    return row ? { uid: row.sessionUid, expiresAt: row.expiresAt } : undefined;
  }

  const streamSessionEvents: AccountStep = async function streamSessionEvents(ctx) {
    const { user, sessionId } = accountOf(ctx);
    const current = await expiryOf(user.id, sessionId);
    const { send, onClose } = streams.open(ctx);
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
    onClose(() => {
      unsubscribe();
      clearTimeout(expiryTimer);
    });
    send('ready', { session: current?.uid ?? null, expiresAt: current?.expiresAt.toISOString() ?? null });
  };

  return {
    streamSessionEvents,
    endAll: streams.endAll,
  };
}
