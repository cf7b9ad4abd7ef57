// The interface we own for signing in through another identity provider (STYLE example 12): the
// routes see Upstream and UpstreamIdentity only, never arctic or openid-client.
import { AppError } from '../errors.js';
import { randomToken } from '../crypto/tokens.js';

/** Who the upstream says signed in; keyed by (issuer, subject), never by email (OIDC Core §5.7). */
export interface UpstreamIdentity {
  providerId: string;
  /** For Microsoft Entra the tenant's issuer (naming `tid`); subject is then the object id `oid`. */
  issuer: string;
  subject: string;
  email: string | null;
  /** Only true when the upstream itself vouches for the address. */
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  /** The upstream's amr (RFC 8176), when it sent one. */
  amr: string[];
}

/** The secrets of one round trip, kept in the browser's signed state cookie. */
export interface RoundTrip {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface Upstream {
  readonly id: string;
  readonly displayName: string;
  /** Whether the upstream's amr 'mfa' stands in for Gatehouse's second factor. */
  readonly trustUpstreamMfa: boolean;
  /** Where its authorization endpoint lives, for the login page's CSP form-action. */
  formTarget(): string;
  /** The authorization request (code, PKCE S256, state, nonce) to send the browser to. */
  authorizationUrl(trip: RoundTrip): Promise<URL>;
  /**
   * Spends the code of the callback URL and validates the ID token (signature from the upstream's
   * JWKS, iss, aud, exp, nonce). Throws FederationError.
   */
  finish(callbackUrl: URL, trip: RoundTrip): Promise<UpstreamIdentity>;
}

type Failure = 'invalid' | 'unavailable';

/** A round trip that cannot finish; the message is safe to show. */
export class FederationError extends AppError {
  readonly failure: Failure;

  constructor(displayName: string, failure: Failure, options: { cause?: unknown } = {}) {
    const message = failure === 'unavailable'
      ? `${displayName} is not answering right now. Try again in a few minutes, or sign in another way.`
      : `Signing in with ${displayName} did not complete: its answer could not be verified. Start again.`;
    super(message, { status: failure === 'unavailable' ? 502 : 400, code: 'federation_failed', expose: true, ...options });
    this.failure = failure;
  }
}

export function newRoundTrip(): RoundTrip {
  return { state: randomToken(), nonce: randomToken(), codeVerifier: randomToken() };
}

/** C0 controls (U+0000–U+001F) and DEL have no place in a subject, address or name; Postgres refuses U+0000 outright. */
function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code <= 0x1f || code === 0x7f) return true;
  }
  return false;
}

/** The claim if it is a string of 1 to maxLength characters without control characters, else null (absent). */
export function stringClaim(value: unknown, maxLength: number): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength && !hasControlCharacter(value) ? value : null;
}

/** At most 20 values of at most 64 characters (what the identity cookie accepts); longer ones are dropped. */
export function amrOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => stringClaim(item, 64) !== null).slice(0, 20) : [];
}

/** The profile claims every upstream shares (OIDC Core §5.1). */
export function profileOf(claims: Record<string, unknown>): Pick<UpstreamIdentity, 'name' | 'givenName' | 'familyName'> {
  return { name: stringClaim(claims.name, 200), givenName: stringClaim(claims.given_name, 100), familyName: stringClaim(claims.family_name, 100) };
}
