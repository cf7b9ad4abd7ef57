// Live session events: a session of an account was created, ended, or is about to expire.
// Published wherever a session changes and delivered to every open stream of that account
// (/account/events) and to every admin stream (/admin/api/events). One bus, two carriers: in
// process on a single node, a broadcast channel (Redis pub/sub) across nodes. Events name a
// session by its uid, never by its id: the id is the session cookie's value.
import { EventEmitter } from 'node:events';
import type { BroadcastChannel } from '../storage/redis-channel.js';

export const SESSION_EVENT_TYPES = ['session.created', 'session.ended', 'session.expiring'] as const;
export type SessionEventType = (typeof SESSION_EVENT_TYPES)[number];

export interface SessionEvent {
  type: SessionEventType;
  accountId: string;
  sessionUid: string;
  /** ISO 8601; for session.expiring, when the session expires. */
  at: string;
  /** Why a session ended: logout, signed-out, signed-out-elsewhere, admin, password-reset, … */
  reason?: string | undefined;
}

export type SessionEventListener = (event: SessionEvent) => void;

export interface SessionEventBus {
  /** Delivers to every subscriber of the account, on every node; never throws. */
  publish(event: SessionEvent): Promise<void>;
  /** Listens to one account's events until the returned function is called. */
  subscribe(accountId: string, listener: SessionEventListener): () => void;
  /** Listens to every account's events (the admin stream) until the returned function is called. */
  subscribeAll(listener: SessionEventListener): () => void;
  close(): Promise<void>;
}

// The emitter key of the admin streams; a symbol, so no account id can collide with it.
const EVERY_ACCOUNT = Symbol('every account');

/** Subscribers of this process, by account: what either carrier hands its events to. */
function createLocalDispatch() {
  const emitter = new EventEmitter();
  // One listener per open stream; a busy account can have many.
  emitter.setMaxListeners(0);
  return {
    dispatch(event: SessionEvent): void {
      emitter.emit(event.accountId, event);
      emitter.emit(EVERY_ACCOUNT, event);
    },
    subscribe(accountId: string, listener: SessionEventListener): () => void {
      emitter.on(accountId, listener);
      return () => emitter.off(accountId, listener);
    },
    subscribeAll(listener: SessionEventListener): () => void {
      emitter.on(EVERY_ACCOUNT, listener);
      return () => emitter.off(EVERY_ACCOUNT, listener);
    },
    clear(): void {
      emitter.removeAllListeners();
    },
  };
}

/**
 * The bus: over a channel every node shares when there is one (each event then reaches this
 * node's subscribers when it comes back from the channel), in this process otherwise.
 */
export function createSessionEventBus(channel?: BroadcastChannel): SessionEventBus {
  const local = createLocalDispatch();
  channel?.listen((message) => {
    const event = parseSessionEvent(message);
    if (event) local.dispatch(event);
  });
  return {
    async publish(event) {
      if (channel) await channel.publish(JSON.stringify(event));
      else local.dispatch(event);
    },
    subscribe: local.subscribe,
    subscribeAll: local.subscribeAll,
    async close() {
      local.clear();
      await channel?.close();
    },
  };
}

/** Parses an event received from another node; undefined for anything malformed. */
export function parseSessionEvent(text: string): SessionEvent | undefined {
  try {
    const value = JSON.parse(text) as Partial<SessionEvent>;
    if (!SESSION_EVENT_TYPES.includes(value.type as SessionEventType)) return undefined;
    if (typeof value.accountId !== 'string' || typeof value.sessionUid !== 'string' || typeof value.at !== 'string') return undefined;
    return { type: value.type!, accountId: value.accountId, sessionUid: value.sessionUid, at: value.at, reason: typeof value.reason === 'string' ? value.reason : undefined };
  } catch {
    return undefined;
  }
}
