// A personal access token as oidc-provider sees it: an AccessToken of the built-in personal tokens
// client, for the account that made it, with its scopes (and `openid`, so that userinfo serves
// it), created and expiring when its row says, and the roles and groups claims its scopes ask for,
// read at each lookup so that a role taken away is gone from the next introspection. Its grant is
// made up from the same row. Introspection (RFC 7662) then answers it like any opaque access
// token: active, sub, scope, exp, client_id, token_type and the claims; userinfo answers with the
// claims of its scopes.
import type { AdapterPayload } from 'oidc-provider';
import { PERSONAL_TOKENS_CLIENT_ID } from '../paths.js';
import type { PersonalAccessTokens, ResolvedPersonalToken } from '../services/personal-access-tokens.js';
import { PERSONAL_TOKEN_GRANT_PREFIX, type PersonalTokenLookup } from './adapters/personal-access-tokens.js';
import { authorizationClaims, type AccessOf } from './app-access.js';

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

function common(token: ResolvedPersonalToken) {
  return {
    iat: epochSeconds(token.createdAt), exp: epochSeconds(token.expiresAt), accountId: token.accountId, clientId: PERSONAL_TOKENS_CLIENT_ID,
  };
}

const scopeOf = (token: ResolvedPersonalToken) => `openid ${token.scope}`;

export function personalTokenLookup(tokens: Pick<PersonalAccessTokens, 'resolve' | 'resolveById' | 'revokeValue'>, accessOf: AccessOf): PersonalTokenLookup {
  return {
    async find(value) {
      const token = await tokens.resolve(value);
      if (!token) return undefined;
      const extra = await authorizationClaims(accessOf, undefined, token.accountId, token.scope);
      const payload: AdapterPayload = {
        ...common(token), jti: value, kind: 'AccessToken', scope: scopeOf(token), grantId: `${PERSONAL_TOKEN_GRANT_PREFIX}${token.id}`,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      };
      return payload;
    },
    async findGrant(grantId) {
      const token = await tokens.resolveById(grantId.slice(PERSONAL_TOKEN_GRANT_PREFIX.length));
      return token && { ...common(token), jti: grantId, kind: 'Grant', openid: { scope: scopeOf(token) } };
    },
    revoke: (value) => tokens.revokeValue(value),
  };
}
