// Which Gatehouse account an upstream identity signs in to. An identity is found
// by (issuer, subject) only. A first sign-in creates an account when policy allows and the
// upstream vouches for the email; an address that already has an account is never linked on the
// email alone — the caller must have the person prove control of it first (password, then second
// factor if enrolled), and only then call link().
import { isUniqueViolation, type Database } from '../storage/db.js';
import { isUuid } from '../uuid.js';
import {
  deleteFederatedIdentityUnlessLast, findFederatedSessionProvider, insertFederatedIdentity,
  listFederatedIdentities, touchFederatedIdentity, upsertFederatedSession, type FederatedIdentityRow,
} from '../storage/repositories/federated-identities.js';
import { findUserByEmail, findUserById, insertUser } from '../storage/repositories/users.js';
import type { UpstreamIdentity } from './upstream.js';
import { emailSchema, type User, type UserService } from './users.js';

export type FederatedSignIn =
  | { kind: 'linked'; user: User }
  | { kind: 'created'; user: User }
  /** An account has this (upstream-verified) address: sign in to it to link. */
  | { kind: 'link-required'; user: User }
  | { kind: 'refused'; reason: 'unverified-email' | 'creation-off' };

export type LinkOutcome = { ok: true; identity: FederatedIdentityRow } | { ok: false; reason: 'linked-elsewhere' | 'provider-linked' };

export type UnlinkOutcome = { ok: true; identity: FederatedIdentityRow } | { ok: false; reason: 'last-method' | 'not-found' };

export function createFederatedAccounts(deps: {
  database: Database;
  users: UserService;
  /** 'off' also when self-service registration is closed: an upstream must not open a back door. */
  accountCreation: 'verified-email' | 'off';
  /** How long the longest session may live: the lifetime of a session's `idp` record. */
  sessionTtlSeconds: number;
}) {
  const { database, users, accountCreation, sessionTtlSeconds } = deps;

  async function userOf(id: string): Promise<User> {
    const user = await users.findById(id);
    if (!user) throw new Error(`account ${id} vanished during a federated sign-in`);
    return user;
  }

  /** A new account without a password, and its identity, in one transaction. Undefined if the address was taken meanwhile. */
  async function createAccount(identity: UpstreamIdentity, email: string): Promise<string | undefined> {
    try {
      return await database.transaction(async (tx) => {
        const row = await insertUser(tx, {
          email, emailVerified: true, passwordHash: null, roles: users.defaultRoles,
          name: identity.name ?? undefined, givenName: identity.givenName ?? undefined, familyName: identity.familyName ?? undefined,
        });
        await insertFederatedIdentity(tx, { userId: row.id, providerId: identity.providerId, issuer: identity.issuer, subject: identity.subject, email });
        return row.id;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async function signIn(identity: UpstreamIdentity): Promise<FederatedSignIn> {
    const known = await touchFederatedIdentity(database, identity.issuer, identity.subject, identity.email);
    if (known) return { kind: 'linked', user: await userOf(known.user_id) };
    // An address the upstream does not vouch for is not looked up at all: it would tell whoever
    // controls that upstream account which addresses have a Gatehouse account.
    const email = identity.emailVerified ? emailSchema.safeParse(identity.email) : undefined;
    if (!email?.success) return { kind: 'refused', reason: 'unverified-email' };
    const existing = await findUserByEmail(database, email.data);
    if (existing) return { kind: 'link-required', user: await userOf(existing.id) };
    if (accountCreation === 'off') return { kind: 'refused', reason: 'creation-off' };
    const created = await createAccount(identity, email.data);
    if (created) return { kind: 'created', user: await userOf(created) };
    // Registered by someone else a moment ago (same address, or this identity in another tab).
    return signIn(identity);
  }

  async function link(userId: string, identity: UpstreamIdentity): Promise<LinkOutcome> {
    try {
      const row = await insertFederatedIdentity(database, {
        userId, providerId: identity.providerId, issuer: identity.issuer, subject: identity.subject, email: identity.email,
      });
      return { ok: true, identity: row };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const known = await touchFederatedIdentity(database, identity.issuer, identity.subject, identity.email);
      if (known?.user_id === userId) return { ok: true, identity: known };
      return { ok: false, reason: known ? 'linked-elsewhere' : 'provider-linked' };
    }
  }

  async function unlink(userId: string, identityId: string): Promise<UnlinkOutcome> {
    if (!isUuid(identityId)) return { ok: false, reason: 'not-found' };
    const removed = await deleteFederatedIdentityUnlessLast(database, userId, identityId);
    if (removed) return { ok: true, identity: removed };
    const stillThere = (await listFederatedIdentities(database, userId)).some((row) => row.id === identityId);
    return { ok: false, reason: stillThere ? 'last-method' : 'not-found' };
  }

  return {
    signIn,
    link,
    unlink,
    list: (userId: string) => listFederatedIdentities(database, userId),
    async hasPassword(userId: string): Promise<boolean> {
      return (await findUserById(database, userId))?.password_hash != null;
    },
    /** Records the upstream a session signed in through. */
    async rememberSession(sessionUid: string, providerId: string): Promise<void> {
      await upsertFederatedSession(database, sessionUid, providerId, sessionTtlSeconds);
    },
    idpOfSession: (sessionUid: string) => findFederatedSessionProvider(database, sessionUid),
  };
}

export type FederatedAccounts = ReturnType<typeof createFederatedAccounts>;
