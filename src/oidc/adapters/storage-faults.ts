// oidc-provider answers any error an adapter throws with 500 server_error. A storage outage is
// not a bug: this wrapper turns it into the protocol's temporarily_unavailable (RFC 6749 §4.1.2.1)
// with status 503, which oidc-provider then renders as JSON, as its error page, or as a redirect
// to the client, like any other protocol error. The cause stays attached for logs only. It also
// keeps ids that cannot be stored (a NUL) away from storage.
import { errors, type Adapter, type AdapterFactory } from 'oidc-provider';
import { isStorageUnavailable } from '../../storage/faults.js';

const RETRY_MESSAGE = 'the service is temporarily unavailable, retry shortly';

export class StorageTemporarilyUnavailable extends errors.TemporarilyUnavailable {
  constructor(cause: unknown) {
    super(RETRY_MESSAGE);
    Object.assign(this, { cause, status: 503, statusCode: 503, expose: true });
  }
}

const ADAPTER_METHODS = ['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId'] as const;
// The methods that take an id (or uid, user code, grant id) that may have come from a request.
const BY_ID: ReadonlySet<string> = new Set(['find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId']);

/**
 * Postgres refuses text holding U+0000 and nothing is ever stored under such an id, so a client_id
 * or token value with a NUL in it is "not found" without a storage call; oidc-provider then answers
 * invalid_client, invalid_grant or inactive as for any unknown value.
 */
function isImpossibleId(method: string, id: unknown): boolean {
  return BY_ID.has(method) && typeof id === 'string' && id.includes('\u0000');
}

function guard(adapter: Adapter): Adapter {
  const guarded = { ...adapter } as Record<string, unknown>;
  for (const method of ADAPTER_METHODS) {
    const original = adapter[method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (typeof original !== 'function') continue;
    guarded[method] = async (...args: unknown[]) => {
      if (isImpossibleId(method, args[0])) return undefined;
      try {
        return await original.apply(adapter, args);
      } catch (error) {
        throw isStorageUnavailable(error) ? new StorageTemporarilyUnavailable(error) : error;
      }
    };
  }
  return guarded as unknown as Adapter;
}

export function withStorageFaults(factory: AdapterFactory): AdapterFactory {
  const adapters = new Map<string, Adapter>();
  return (model: string) => {
    let adapter = adapters.get(model);
    if (!adapter) {
      adapter = guard(factory(model));
      adapters.set(model, adapter);
    }
    return adapter;
  };
}
