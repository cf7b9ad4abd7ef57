// Personal access tokens reach oidc-provider as AccessTokens: a value with the personal token
// prefix is answered by the AccessToken adapter from personal_access_tokens (by its keyed hash),
// never from the payload stores, and destroying it (RFC 7009 revocation) revokes its row. Every
// other model gets no such value through to its store: oidc-provider looks a presented token up as
// every kind at once, and the raw value must not reach Postgres or Redis even as a lookup key.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { isPersonalToken } from '../../services/personal-access-tokens.js';

export interface PersonalTokenLookup {
  /** The token as an AccessToken payload when it is live; undefined otherwise. */
  find(value: string): Promise<AdapterPayload | undefined>;
  revoke(value: string): Promise<void>;
}

function answering(adapter: Adapter, lookup: PersonalTokenLookup | undefined): Adapter {
  return {
    upsert: (id, payload, expiresIn) => adapter.upsert(id, payload, expiresIn),
    find: async (id) => (isPersonalToken(id) ? lookup?.find(id) : adapter.find(id)),
    findByUid: (uid) => adapter.findByUid(uid),
    findByUserCode: (userCode) => adapter.findByUserCode(userCode),
    consume: async (id) => (isPersonalToken(id) ? undefined : adapter.consume(id)),
    destroy: async (id) => (isPersonalToken(id) ? lookup?.revoke(id) : adapter.destroy(id)),
    revokeByGrantId: (grantId) => adapter.revokeByGrantId(grantId),
  };
}

export function answerPersonalTokens(factory: AdapterFactory, lookup: PersonalTokenLookup): AdapterFactory {
  return (model: string) => {
    const adapter = factory(model);
    return model === 'Client' ? adapter : answering(adapter, model === 'AccessToken' ? lookup : undefined);
  };
}
