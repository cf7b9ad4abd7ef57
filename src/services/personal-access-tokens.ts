// Personal access tokens: bearer tokens a person makes for their own scripts and tools, named, with
// scopes chosen from what they may have and a bounded lifetime (a long-lived credential must
// expire: OWASP ASVS 5.0 V9.2), shown once and stored only as a keyed hash (DESIGN §4). Resource
// servers check them at introspection like any access token (oidc/personal-access-tokens.ts).
// A token starts with PERSONAL_TOKEN_PREFIX so that the provider tells it from its own tokens
// without a lookup, and so that secret scanners can find one that leaked into a repository.
// Every creation and revocation is audited, never with the value.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { KeyedHash } from '../crypto/keyed-hash.js';
import { ValidationError } from '../errors.js';
import type { Database } from '../storage/db.js';
import {
  findLivePersonalAccessToken, insertPersonalAccessToken, listPersonalAccessTokens, revokeAllPersonalAccessTokens, revokePersonalAccessToken, useLivePersonalAccessToken,
  type LivePersonalAccessToken, type PersonalAccessTokenRow,
} from '../storage/repositories/personal-access-tokens.js';
import type { AuditDetail, AuditLog, RequestOrigin } from './audit.js';

export const PERSONAL_TOKEN_PREFIX = 'gatehouse_pat_';
// 256 bits from the CSPRNG after the prefix (ASVS 5.0 V7.2.3), base64url.
const PERSONAL_TOKEN_FORMAT = /^gatehouse_pat_[A-Za-z0-9_-]{43}$/;

export const PERSONAL_TOKEN_DAYS = { default: 30, max: 366 } as const;
export const MAX_PERSONAL_TOKENS = 50;

/** The OIDC scopes a person may put on a token; configured API scopes are added by the composition root. */
export const PERSONAL_TOKEN_OIDC_SCOPES = ['profile', 'email', 'roles', 'groups'] as const;

export interface PersonalAccessToken {
  id: string;
  name: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** A live token as the provider answers it: whose it is, what it may do, and when it ends. */
export interface ResolvedPersonalToken {
  id: string;
  accountId: string;
  scope: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface PersonalTokenOwner {
  id: string;
  email: string;
}

/** Whether a bearer value has the shape of a personal access token; nothing else is looked up. */
export function isPersonalToken(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PERSONAL_TOKEN_PREFIX);
}

function resolved(found: LivePersonalAccessToken | undefined): ResolvedPersonalToken | undefined {
  return found && { id: found.id, accountId: found.user_id, scope: found.scope, createdAt: found.created_at, expiresAt: found.expires_at };
}

function toToken(row: PersonalAccessTokenRow): PersonalAccessToken {
  return {
    id: row.id, name: row.name, scopes: row.scope.split(' ').filter(Boolean), createdAt: row.created_at,
    lastUsedAt: row.last_used_at, expiresAt: row.expires_at, revokedAt: row.revoked_at,
  };
}

export function createPersonalAccessTokens(deps: {
  database: Database; audit: AuditLog; hash: KeyedHash;
  /** The scopes a token may carry, in the order the page offers them. */
  scopes: readonly string[];
}) {
  const { database, audit, hash } = deps;
  const inputSchema = z.object({
    name: z.string().trim().min(1, 'Give the token a name.').max(100, 'Use at most 100 characters for the name.'),
    scopes: z.array(z.string()).min(1, 'Choose at least one scope.').max(deps.scopes.length)
      .refine((scopes) => scopes.every((scope) => deps.scopes.includes(scope)), 'Choose scopes from the list.'),
    days: z.coerce.number({ error: 'Enter the number of days as digits.' }).int('Enter a whole number of days.')
      .min(1, 'A token lasts at least 1 day.').max(PERSONAL_TOKEN_DAYS.max, `A token lasts at most ${PERSONAL_TOKEN_DAYS.max} days.`),
  });

  function record(
    type: 'personal_token.created' | 'personal_token.revoked', owner: { id: string; email?: string }, origin: Partial<RequestOrigin>, detail: AuditDetail,
  ) {
    return audit.record({
      type, outcome: 'success', accountId: owner.id, email: owner.email ?? null, ip: origin.ip ?? null, userAgent: origin.userAgent ?? null, detail,
    });
  }

  return {
    offeredScopes: deps.scopes,

    /** A new token: its value is returned only here, and only its keyed hash is stored. */
    async create(
      owner: PersonalTokenOwner, input: { name: unknown; scopes: unknown; days: unknown }, origin: Partial<RequestOrigin> = {},
    ): Promise<{ value: string; token: PersonalAccessToken }> {
      const parsed = inputSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = String(issue.path[0] ?? 'name');
        throw new ValidationError(issue.message, { fields: { [field]: issue.message } });
      }
      const { name, scopes, days } = parsed.data;
      const live = (await listPersonalAccessTokens(database, owner.id)).filter((row) => row.revoked_at === null);
      if (live.length >= MAX_PERSONAL_TOKENS) {
        throw new ValidationError(`You have ${MAX_PERSONAL_TOKENS} tokens; revoke one you no longer use first.`, { fields: { name: 'too many tokens' } });
      }
      const value = `${PERSONAL_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const scope = deps.scopes.filter((offered) => scopes.includes(offered)).join(' ');
      const row = await insertPersonalAccessToken(database, { userId: owner.id, name, tokenHash: hash(value), scope, ttlSeconds: days * 86_400 });
      await record('personal_token.created', owner, origin, { id: row.id, name, scope, days });
      return { value, token: toToken(row) };
    },

    /** The person's tokens that have not expired, revoked ones included, newest first. */
    async list(accountId: string): Promise<PersonalAccessToken[]> {
      return (await listPersonalAccessTokens(database, accountId)).map(toToken);
    },

    /** Revokes one of the person's live tokens; false when there is none by that id. */
    async revoke(owner: PersonalTokenOwner, tokenId: string, origin: Partial<RequestOrigin> = {}, by = 'owner'): Promise<boolean> {
      if (!z.uuid().safeParse(tokenId).success) return false;
      const revoked = await revokePersonalAccessToken(database, { userId: owner.id, id: tokenId });
      if (revoked) await record('personal_token.revoked', owner, origin, { id: revoked.id, name: revoked.name, by });
      return revoked !== undefined;
    },

    /**
     * Revokes every live token of the account, when it is signed out everywhere (a password reset,
     * "this wasn't me", an admin's sign-out, closing the account): a token made by whoever got in
     * must not outlast the clean-up (OWASP ASVS 5.0 V7.4.3).
     */
    async revokeAll(accountId: string, by: string): Promise<number> {
      const count = await revokeAllPersonalAccessTokens(database, accountId);
      if (count > 0) await record('personal_token.revoked', { id: accountId }, {}, { count, by });
      return count;
    },

    /** Revokes the live token with this value (RFC 7009 revocation by its holder). */
    async revokeValue(value: string): Promise<void> {
      if (!PERSONAL_TOKEN_FORMAT.test(value)) return;
      const revoked = await revokePersonalAccessToken(database, { tokenHash: hash(value) });
      if (revoked) await record('personal_token.revoked', { id: revoked.user_id }, {}, { id: revoked.id, name: revoked.name, by: 'token_revocation' });
    },

    /** The live token with this value, of an active account, noting its use; undefined otherwise. */
    async resolve(value: string): Promise<ResolvedPersonalToken | undefined> {
      if (!PERSONAL_TOKEN_FORMAT.test(value)) return undefined;
      return resolved(await useLivePersonalAccessToken(database, hash(value)));
    },

    /** The live token with this id, of an active account; undefined otherwise. */
    async resolveById(tokenId: string): Promise<ResolvedPersonalToken | undefined> {
      if (!z.uuid().safeParse(tokenId).success) return undefined;
      return resolved(await findLivePersonalAccessToken(database, tokenId));
    },
  };
}

export type PersonalAccessTokens = ReturnType<typeof createPersonalAccessTokens>;
