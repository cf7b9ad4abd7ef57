// Registration tokens are bearer credentials that live for days (an initial access token) or as
// long as their client (a registration access token), so a copy of the database must not hold a
// usable one (DESIGN §4): their rows are keyed by the SHA-256 of the value, and the value itself
// (the payload's jti) is never written. A lookup hashes what was presented and puts it back.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { hashToken } from '../../crypto/tokens.js';

export function withHashedIds(adapter: Adapter): Adapter {
  return {
    async upsert(id, payload, expiresIn) {
      const stored = { ...payload };
      delete stored.jti;
      await adapter.upsert(hashToken(id), stored, expiresIn);
    },
    async find(id) {
      const stored = await adapter.find(hashToken(id));
      return stored && ({ ...stored, jti: id } as AdapterPayload);
    },
    findByUid: (uid) => adapter.findByUid(uid),
    findByUserCode: (userCode) => adapter.findByUserCode(userCode),
    consume: (id) => adapter.consume(hashToken(id)),
    destroy: (id) => adapter.destroy(hashToken(id)),
    revokeByGrantId: (grantId) => adapter.revokeByGrantId(grantId),
  };
}
