// A personal access token as oidc-provider sees it: an AccessToken of the built-in personal tokens
// client, for the account that made it, with its scopes, created and expiring when its row says,
// and the roles and groups claims its scopes ask for, read at each lookup so that a role taken
// away is gone from the next introspection. Introspection (RFC 7662) then answers it like any
// opaque access token: active, sub, scope, exp, client_id, token_type and the claims.
import type { AdapterPayload } from 'oidc-provider';
import { PERSONAL_TOKENS_CLIENT_ID } from '../paths.js';
import type { PersonalAccessTokens } from '../services/personal-access-tokens.js';
import type { PersonalTokenLookup } from './adapters/personal-access-tokens.js';
import { authorizationClaims, type AccessOf } from './app-access.js';

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

export function personalTokenLookup(tokens: Pick<PersonalAccessTokens, 'resolve' | 'revokeValue'>, accessOf: AccessOf): PersonalTokenLookup {
  return {
    async find(value) {
      const token = await tokens.resolve(value);
      if (!token) return undefined;
      const extra = await authorizationClaims(accessOf, undefined, token.accountId, token.scope);
      const payload: AdapterPayload = {
        jti: value,
        kind: 'AccessToken',
        iat: epochSeconds(token.createdAt),
        exp: epochSeconds(token.expiresAt),
        accountId: token.accountId,
        clientId: PERSONAL_TOKENS_CLIENT_ID,
        scope: token.scope,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      };
      return payload;
    },
    revoke: (value) => tokens.revokeValue(value),
  };
}
