// The rules for a redirect URI or post-logout redirect URI a client registers. Every way of
// registering a client goes through parseClientInput (clients.ts), and so through these.
// oidc-provider compares the URI a request names with the registered one as exact strings
// (RFC 9700 §2.1, RFC 6749 §3.1.2.2), so the registered string must be exactly what a browser
// will follow: one absolute URI in the WHATWG URL parser's own spelling, with nothing a
// parser could read two ways.

export const MAX_REDIRECT_URI_LENGTH = 1024;
export const MAX_REDIRECT_URIS = 20;

export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
// RFC 8252 §7.1: a private-use scheme is a reversed domain name the app's owner controls.
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/i;
// RFC 3986 §2: a URI is printable ASCII; anything else (control characters such as a newline,
// spaces, non-ASCII) must be percent-encoded. The WHATWG parser silently drops tabs and newlines,
// so "https://a.example/cb\nhttps://evil.example/" would otherwise read as one URI.
const URI_CHARACTERS = /^[\x21-\x7E]+$/;
// RFC 1123 §2.1 host name labels: letters, digits and hyphens; international names as xn-- labels.
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_DNS_NAME_LENGTH = 253;
const QUOTED_LENGTH = 80;

export function parseUrl(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

export function isPrivateUse(uri: string): boolean {
  return PRIVATE_USE_SCHEME.test(parseUrl(uri)?.protocol ?? '');
}

/** The URI for an error message: one line, shortened, and never a password someone put inside it. */
export function quoteUri(uri: string): string {
  const parsed = parseUrl(uri);
  let shown = uri;
  if (parsed && (parsed.username || parsed.password)) {
    parsed.username = '';
    parsed.password = '';
    shown = parsed.href;
  }
  return JSON.stringify(shown.length > QUOTED_LENGTH ? `${shown.slice(0, QUOTED_LENGTH)}…` : shown);
}

function hostProblem(hostname: string): string | undefined {
  if (LOOPBACK_HOSTS.has(hostname)) return undefined;
  // As for web clients at Google and others: an address literal names no one the certificate
  // or the admin can vouch for; loopback is the one exception (RFC 8252 §7.3).
  if (hostname.startsWith('[') || /^[0-9.]+$/.test(hostname)) {
    return 'must name its host by a DNS name; IP addresses are allowed only for loopback (127.0.0.1, [::1])';
  }
  const labels = hostname.split('.');
  if (hostname.length > MAX_DNS_NAME_LENGTH || !labels.every((label) => DNS_LABEL.test(label))) {
    return 'has a host that is not a DNS name (letters, digits and hyphens between dots; an international name in its xn-- form)';
  }
  return undefined;
}

/** Why `uri` cannot be registered, or undefined when it can. */
export function redirectUriProblem(uri: string, isPublic: boolean): string | undefined {
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `is longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (!URI_CHARACTERS.test(uri)) return 'contains a control character, a space or a non-ASCII character; percent-encode it (RFC 3986 §2.1)';
  if (uri.includes('*')) return 'contains a wildcard; register each exact URI instead (RFC 9700 §2.1)';
  const parsed = parseUrl(uri);
  if (!parsed) return 'must be an absolute URI';
  // RFC 6749 §3.1.2: the redirection endpoint URI must not include a fragment.
  if (uri.includes('#')) return 'must not contain a fragment';
  if (parsed.username || parsed.password) return 'must not contain credentials';
  if (parsed.href !== uri) return `must be written as the URL standard writes it: ${quoteUri(parsed.href)}`;
  if (parsed.protocol === 'https:') return hostProblem(parsed.hostname);
  if (parsed.protocol === 'http:') {
    // RFC 9700 §2.1 / RFC 8252 §7.3: plain http only where the traffic never leaves the machine.
    return LOOPBACK_HOSTS.has(parsed.hostname) ? undefined : 'http is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https';
  }
  if (PRIVATE_USE_SCHEME.test(parsed.protocol)) {
    // RFC 8252 §8.4: any app can claim a custom scheme, so only a client with no secret to lose may use one.
    return isPublic ? undefined : 'a private-use URI scheme is allowed only for a public client';
  }
  return `scheme "${parsed.protocol}" is not allowed; use https, loopback http, or a reversed-domain scheme like com.example.app:/callback`;
}
