// Every ID token carries `sid`, for every client: front- and back-channel logout relying parties
// match logout notices to their sessions by it (OpenID Front-Channel Logout 1.0 §3, Back-Channel
// Logout 1.0 §2.4), and a client may use it without registering *_logout_session_required.
// oidc-provider adds it only for clients that registered backchannel_logout_session_required; its
// Client#includeSid decides that for ID tokens, codes and device codes alike.
import type Provider from 'oidc-provider';

export function includeSidForEveryClient(provider: Provider): void {
  const prototype = provider.Client.prototype as unknown as { includeSid(): boolean };
  prototype.includeSid = function includeSid() {
    return true;
  };
}
