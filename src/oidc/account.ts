// findAccount for oidc-provider: maps a user to the standard OIDC claims (Core §5.1).
import type { Account, FindAccount } from 'oidc-provider';
import type { User, UserService } from '../services/users.js';
import { accessOncePerRequest, authorizationClaims, refuseWithoutAccess, type AccessOf } from './app-access.js';
import { organisationClaims, refuseOutsideOrganisation, type OrganisationMembership } from './organisations.js';

export function userClaims(user: User): Record<string, unknown> {
  return {
    sub: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name ?? undefined,
    given_name: user.givenName ?? undefined,
    family_name: user.familyName ?? undefined,
    updated_at: Math.floor(user.updatedAt.getTime() / 1000),
  };
}

/** The upstream a session signed in through (services/federated-accounts.ts), by session uid. */
export type IdpOfSession = (sessionUid: string) => Promise<string | undefined>;

type FindAccountArgs = Parameters<FindAccount>;

/**
 * The `idp` claim of an ID token: which upstream the person signed in through, for sign-ins whose
 * amr says 'fed'. At the token endpoint the code or refresh token names the session; at the
 * authorization endpoint the session is the browser's.
 */
async function idpOf(idpOfSession: IdpOfSession, ctx: FindAccountArgs[0], token: FindAccountArgs[2]): Promise<string | undefined> {
  const source = (token ?? ctx.oidc?.session) as { amr?: unknown; sessionUid?: unknown; uid?: unknown } | undefined;
  if (!Array.isArray(source?.amr) || !source.amr.includes('fed')) return undefined;
  const sessionUid = source.sessionUid ?? source.uid;
  return typeof sessionUid === 'string' ? idpOfSession(sessionUid) : undefined;
}

export function createFindAccount(users: UserService, accessOf: AccessOf, organisations: OrganisationMembership, idpOfSession?: IdpOfSession): FindAccount {
  return async (ctx, sub, token): Promise<Account | undefined> => {
    const user = await users.findById(sub);
    // A disabled account's existing tokens stop yielding claims at once.
    if (!user || user.status !== 'active') return undefined;
    const accessOfThisRequest = accessOncePerRequest(ctx, accessOf);
    await refuseWithoutAccess(ctx, user.id, accessOfThisRequest);
    await refuseOutsideOrganisation(ctx, user.id, token, organisations);
    return {
      accountId: user.id,
      async claims(use, scope, requested) {
        const idp = use === 'id_token' && idpOfSession ? await idpOf(idpOfSession, ctx, token) : undefined;
        const authorization = await authorizationClaims(accessOfThisRequest, ctx.oidc?.client, user.id, scope, requested);
        const organisation = await organisationClaims(organisations, user.id, scope, requested);
        return { ...userClaims(user), ...authorization, ...organisation, ...(idp ? { idp } : {}) } as Awaited<ReturnType<Account['claims']>>;
      },
    };
  };
}
