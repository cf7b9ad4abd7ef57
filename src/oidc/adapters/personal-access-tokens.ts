// Personal access tokens reach oidc-provider as AccessTokens: a value with the personal token
// prefix is answered by the AccessToken adapter from personal_access_tokens (by its keyed hash),
// never from the payload stores, and destroying it (RFC 7009 revocation) revokes its row. Each
// such token names a grant of its own (PERSONAL_TOKEN_GRANT_PREFIX and the token's id), which the
// Grant adapter answers from the same row, so that userinfo, which reads the token's grant, serves
// it too; that grant is never stored nor destroyed here. Every other model gets no such value
// through to its store: oidc-provider looks a presented token up as every kind at once, and the
// raw value must not reach Postgres or Redis even as a lookup key.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { isPersonalToken } from '../../services/personal-access-tokens.js';

export const PERSONAL_TOKEN_GRANT_PREFIX = 'personal-token:';

export interface PersonalTokenLookup {
  /** The token as an AccessToken payload when it is live; undefined otherwise. */
  find(value: string): Promise<AdapterPayload | undefined>;
  /** The token's grant as a Grant payload when the token is live; undefined otherwise. */
  findGrant(grantId: string): Promise<AdapterPayload | undefined>;
  revoke(value: string): Promise<void>;
}

function answering(adapter: Adapter, ours: (id: string) => boolean, find: (id: string) => Promise<AdapterPayload | undefined>, destroy: (id: string) => Promise<void>): Adapter {
  return {
    upsert: async (id, payload, expiresIn) => (ours(id) ? undefined : adapter.upsert(id, payload, expiresIn)),
    find: async (id) => (ours(id) ? find(id) : adapter.find(id)),
    findByUid: (uid) => adapter.findByUid(uid),
    findByUserCode: (userCode) => adapter.findByUserCode(userCode),
    consume: async (id) => (ours(id) ? undefined : adapter.consume(id)),
    destroy: async (id) => (ours(id) ? destroy(id) : adapter.destroy(id)),
    revokeByGrantId: async (grantId) => (grantId.startsWith(PERSONAL_TOKEN_GRANT_PREFIX) ? undefined : adapter.revokeByGrantId(grantId)),
  };
}

const isPersonalGrant = (id: string) => id.startsWith(PERSONAL_TOKEN_GRANT_PREFIX);
const nothing = async () => undefined;

export function answerPersonalTokens(factory: AdapterFactory, lookup: PersonalTokenLookup): AdapterFactory {
  return (model: string) => {
    const adapter = factory(model);
    if (model === 'Client') return adapter;
    if (model === 'AccessToken') return answering(adapter, isPersonalToken, (id) => lookup.find(id), (id) => lookup.revoke(id));
    if (model === 'Grant') return answering(adapter, isPersonalGrant, (id) => lookup.findGrant(id), nothing);
    return answering(adapter, isPersonalToken, nothing, nothing);
  };
}
