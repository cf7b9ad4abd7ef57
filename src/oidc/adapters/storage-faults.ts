// oidc-provider answers any error an adapter throws with 500 server_error. A storage outage is
// not a bug: this wrapper turns it into the protocol's temporarily_unavailable (RFC 6749 §4.1.2.1)
// with status 503, which oidc-provider then renders as JSON, as its error page, or as a redirect
// to the client, like any other protocol error. The cause stays attached for logs only.
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

function guard(adapter: Adapter): Adapter {
  const guarded = { ...adapter } as Record<string, unknown>;
  for (const method of ADAPTER_METHODS) {
    const original = adapter[method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (typeof original !== 'function') continue;
    guarded[method] = async (...args: unknown[]) => {
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
