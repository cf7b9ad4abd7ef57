// findAccount for oidc-provider: maps a user to the standard OIDC claims (Core §5.1).
import type { Account, FindAccount } from 'oidc-provider';
import type { User, UserService } from '../services/users.js';

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

export function createFindAccount(users: UserService): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const user = await users.findById(sub);
    // A disabled account's existing tokens stop yielding claims at once.
    if (!user || user.status !== 'active') return undefined;
    return {
      accountId: user.id,
      async claims() {
        return userClaims(user) as Awaited<ReturnType<Account['claims']>>;
      },
    };
  };
}
