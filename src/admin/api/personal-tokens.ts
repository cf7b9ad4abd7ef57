// Admin API: a person's personal access tokens, listed (never their values, which only the person
// ever saw) and revoked one by one, audited naming the admin.
import type Koa from 'koa';
import { NotFoundError } from '../../errors.js';
import type { PersonalAccessToken, PersonalAccessTokens } from '../../services/personal-access-tokens.js';
import type { UserDirectory } from '../../services/user-directory.js';
import type { ApiRoutes } from './operations.js';
import { actorOf } from './users.js';

export interface PersonalTokenRoutesDeps {
  personalTokens: PersonalAccessTokens;
  userDirectory: UserDirectory;
}

function tokenJson(token: PersonalAccessToken) {
  return {
    id: token.id, name: token.name, scope: token.scopes.join(' '), created_at: token.createdAt.toISOString(),
    last_used_at: token.lastUsedAt?.toISOString() ?? null, expires_at: token.expiresAt.toISOString(), revoked_at: token.revokedAt?.toISOString() ?? null,
  };
}

export function addPersonalTokenRoutes(routes: ApiRoutes, deps: PersonalTokenRoutesDeps): void {
  const { personalTokens, userDirectory } = deps;
  const ownerOf = (ctx: Koa.Context) => userDirectory.require(String(ctx.params.id ?? ''));

  routes.get('/users/:id/personal-tokens', {
    tag: 'users', summary: 'list the user\'s personal access tokens that have not expired (never their values)',
    success: { description: '`{"personal_tokens": [{id, name, scope, created_at, last_used_at, expires_at, revoked_at}]}`' },
  }, async (ctx) => ({ personal_tokens: (await personalTokens.list((await ownerOf(ctx)).id)).map(tokenJson) }));

  routes.delete('/users/:id/personal-tokens/:token', {
    tag: 'users', summary: 'revoke one of the user\'s personal access tokens', success: { status: 204, description: 'revoked' },
    responses: { 404: 'no such user, or no live token by that id' },
  }, async (ctx) => {
    const owner = await ownerOf(ctx);
    const actor = actorOf(ctx);
    const tokenId = String(ctx.params.token ?? '');
    if (!(await personalTokens.revoke(owner, tokenId, actor.origin, actor.by))) throw new NotFoundError(`<${owner.email}> has no live personal access token ${tokenId.slice(0, 64)}`);
  });
}
