// Keeps account_sessions in step with oidc-provider's Session model, wherever the sessions
// themselves live: with Redis their keys cannot be listed by account, yet a password reset,
// a password change or a deactivation must find and end every session of one account, and the
// account pages list them with the device, address and apps of each.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { currentRequestOrigin } from '../../http/request-context.js';
import type { Database } from '../../storage/db.js';
import { deleteAccountSession, upsertAccountSession } from '../../storage/repositories/account-sessions.js';
import type { NewSignIn } from '../../services/sessions.js';
import { isUuid } from '../../uuid.js';


export interface SessionIndexDeps {
  database: Database;
  /** A session was indexed for the first time under an account: a sign-in. */
  onSignIn: (session: NewSignIn) => Promise<void>;
}

const REKEY_WINDOW_MS = 60_000;
const REKEY_MEMORY_LIMIT = 10_000;

/**
 * oidc-provider gives a session a new id on every return from an interaction (against session
 * fixation, OWASP ASVS 5.0 V7.2.4), keeping its uid: one Session#save destroys the old id, then
 * writes the new one, in this process. The uids destroyed here a moment ago tell such a write
 * from a sign-in, so one sign-in is announced once however many pages it takes.
 */
function createRekeyMemory() {
  const destroyedAt = new Map<string, number>();
  return {
    destroyed(uid: string): void {
      const now = Date.now();
      for (const [known, at] of destroyedAt) {
        if (now - at < REKEY_WINDOW_MS && destroyedAt.size < REKEY_MEMORY_LIMIT) break;
        destroyedAt.delete(known);
      }
      destroyedAt.set(uid, now);
    },
    /** Whether this uid's session was just destroyed (so it is being re-keyed); forgets it. */
    rekeyed(uid: string): boolean {
      const at = destroyedAt.get(uid);
      destroyedAt.delete(uid);
      return at !== undefined && Date.now() - at < REKEY_WINDOW_MS;
    },
  };
}

/** The stores with the Session model indexed by account; what the provider is given. */
export function indexSessions(adapters: AdapterFactory, deps: SessionIndexDeps): AdapterFactory {
  return (model) => (model === 'Session' ? withSessionIndex(adapters(model), deps) : adapters(model));
}

function withSessionIndex(sessions: Adapter, { database, onSignIn }: SessionIndexDeps): Adapter {
  const rekeys = createRekeyMemory();
  // The index is written after the session itself: a session missing from the index for a
  // moment is harmless, an index entry whose session was never written is only swept.
  return {
    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      await sessions.upsert(id, payload, expiresIn);
      const { accountId, uid, loginTs, transient, authorizations } = payload as AdapterPayload & { loginTs?: number; transient?: boolean };
      if (typeof accountId === 'string' && isUuid(accountId) && typeof uid === 'string') {
        const origin = currentRequestOrigin();
        const inserted = await upsertAccountSession(database, {
          sessionId: id, accountId, sessionUid: uid, loginTs, expiresInSeconds: expiresIn,
          remembered: transient !== true, clientIds: Object.keys(authorizations ?? {}), ip: origin?.ip, userAgent: origin?.userAgent,
        });
        const rekeyed = rekeys.rekeyed(uid);
        if (inserted && !rekeyed) await onSignIn({ accountId, sessionId: id, sessionUid: uid, expiresInSeconds: expiresIn });
      } else {
        // Signed out (or never signed in): no account holds this session any more.
        await deleteAccountSession(database, id);
      }
    },
    find: (id) => sessions.find(id),
    findByUid: (uid) => sessions.findByUid(uid),
    findByUserCode: (userCode) => sessions.findByUserCode(userCode),
    consume: (id) => sessions.consume(id),
    revokeByGrantId: (grantId) => sessions.revokeByGrantId(grantId),
    async destroy(id: string) {
      await sessions.destroy(id);
      const uid = await deleteAccountSession(database, id);
      if (uid) rekeys.destroyed(uid);
    },
  };
}
