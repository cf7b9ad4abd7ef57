// Paths of sign-in through another identity provider, shared by the routes that link to them.
// Each upstream has its own callback path, registered at that upstream as the redirect URI: an
// answer arriving on one provider's path is never taken for another's (mix-up defence, RFC 9700 §4.4).
export const FEDERATION_CALLBACK_PREFIX = '/federation';

export function federationCallbackPath(providerId: string): string {
  return `${FEDERATION_CALLBACK_PREFIX}/${encodeURIComponent(providerId)}/callback`;
}

export function federationCallbackUrl(issuer: string, providerId: string): string {
  return `${issuer}${federationCallbackPath(providerId)}`;
}
