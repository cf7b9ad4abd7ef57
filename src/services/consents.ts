// What a person allowed each app, remembered per person and app so that consent is asked once,
// and again only for something new: a sign-out or a password reset revokes grants and tokens,
// not the person's decision (oidc/options.ts builds a fresh grant from it). The account's apps
// page lists these and removes one, which also revokes that app's grants and refresh tokens for
// the person through a port the protocol edge implements (RFC 9700 §4.14.2: a person can end a
// refresh token's life; ASVS 5.0 V10.7.3 lists and revokes what each app was granted).
import type { Database } from '../storage/db.js';
import { deleteConsent, findConsent, listConsents, touchConsent, upsertConsent, type ConsentRow } from '../storage/repositories/consents.js';
import type { AuditLog, RequestOrigin } from './audit.js';

/** What was allowed: OIDC scopes, claims asked for one by one, and each API's (RFC 8707) scopes. */
export interface ConsentedAccess {
  scopes: string[];
  claims: string[];
  resourceScopes: Record<string, string[]>;
}

export interface AppConsent extends ConsentedAccess {
  clientId: string;
  grantedAt: Date;
  lastUsedAt: Date | null;
}

/** Revokes every grant (with its tokens) that this app holds for this person; how many. */
export type RevokeAppGrants = (accountId: string, clientId: string) => Promise<number>;

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b].filter(Boolean))];
}

function unionResources(a: Record<string, string[]>, b: Record<string, string[]>): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const [resource, scopes] of [...Object.entries(a), ...Object.entries(b)]) merged[resource] = union(merged[resource] ?? [], scopes);
  return merged;
}

function toAccess(row: ConsentRow): ConsentedAccess {
  return { scopes: row.scopes, claims: row.claims, resourceScopes: row.resource_scopes };
}

export function createConsents(deps: { database: Database; audit: AuditLog; revokeAppGrants: RevokeAppGrants }) {
  const { database, audit, revokeAppGrants } = deps;

  /** What the person allowed this app, if anything. */
  async function remembered(accountId: string, clientId: string): Promise<ConsentedAccess | undefined> {
    const row = await findConsent(database, accountId, clientId);
    return row && toAccess(row);
  }

  /**
   * Adds what the person just allowed to what they allowed before, and audits it as
   * consent.granted, in one transaction: the record and its audit row exist together or not at all.
   */
  async function remember(input: {
    accountId: string; clientId: string; grantId: string; origin: RequestOrigin;
    /** Everything the grant now holds; `added` is what this answer added to it. */
    granted: ConsentedAccess; added: ConsentedAccess;
  }): Promise<void> {
    const { accountId, clientId, granted, added } = input;
    await database.transaction(async (tx) => {
      const before = await findConsent(tx, accountId, clientId, true);
      const earlier = before ? toAccess(before) : { scopes: [], claims: [], resourceScopes: {} };
      await upsertConsent(tx, {
        userId: accountId, clientId,
        scopes: union(earlier.scopes, granted.scopes),
        claims: union(earlier.claims, granted.claims),
        resourceScopes: unionResources(earlier.resourceScopes, granted.resourceScopes),
      });
      const resourceScopes = Object.values(added.resourceScopes).flat();
      await audit.record({
        type: 'consent.granted', outcome: 'success', accountId, clientId, ...input.origin,
        // What this answer added; an earlier consent of the same app has its own row.
        detail: { grantId: input.grantId, scope: union(added.scopes, resourceScopes).join(' '), claims: added.claims.join(' '), extended: before !== undefined },
      }, tx);
    });
  }

  /** The apps the person allowed, most recently used first. */
  async function list(accountId: string): Promise<AppConsent[]> {
    return (await listConsents(database, accountId)).map((row) => ({
      ...toAccess(row), clientId: row.client_id, grantedAt: row.granted_at, lastUsedAt: row.last_used_at,
    }));
  }

  /**
   * "Remove access": the app's grants and refresh tokens for this person end first, then the
   * remembered consent goes with its audit row (consent.revoked). False when nothing was allowed.
   */
  async function revoke(accountId: string, clientId: string, origin: RequestOrigin): Promise<boolean> {
    if (!(await findConsent(database, accountId, clientId))) return false;
    const grants = await revokeAppGrants(accountId, clientId);
    return database.transaction(async (tx) => {
      const removed = await deleteConsent(tx, accountId, clientId);
      if (!removed) return false;
      await audit.record({
        type: 'consent.revoked', outcome: 'success', accountId, clientId, ...origin,
        detail: { scope: union(removed.scopes, Object.values(removed.resource_scopes).flat()).join(' '), grants, by: 'account' },
      }, tx);
      return true;
    });
  }

  /** The app used its access (a sign-in, a token refresh): the apps page shows when. */
  async function noteUse(accountId: string, clientId: string): Promise<void> {
    await touchConsent(database, accountId, clientId);
  }

  return { remembered, remember, list, revoke, noteUse };
}

export type Consents = ReturnType<typeof createConsents>;
