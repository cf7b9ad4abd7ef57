// Secret rotation with an overlap. oidc-provider checks a client secret in
// Client.prototype.compareClientSecret against the `client_secret` of the metadata it loaded. The
// previous secret (kept for settings.clients.secretRotationOverlapSeconds after a rotation) is not
// part of that metadata, so discovery, registration reads and the provider's own caches never see
// it. Instead, when the loaded secret does not match, this asks the client service, which reads
// the stored secrets (current and, until it expires, previous) and compares each in constant time
// (ASVS 5.0 V11.7). Reading storage there also means a secret rotated through another node or the
// CLI works here at once, even while this node's client cache still holds the old metadata; the
// old secret, on such a node, keeps matching the cached copy for at most settings.clientCacheSeconds.
import type Provider from 'oidc-provider';

export type AcceptsClientSecret = (clientId: string, presented: string) => Promise<boolean>;

export function acceptStoredClientSecrets(provider: Provider, acceptsSecret: AcceptsClientSecret): void {
  const prototype = provider.Client.prototype;
  const compareLoaded = prototype.compareClientSecret;
  prototype.compareClientSecret = async function compareClientSecret(this: InstanceType<Provider['Client']>, presented: string) {
    if (await compareLoaded.call(this, presented)) return true;
    return acceptsSecret(this.clientId, presented);
  };
}
