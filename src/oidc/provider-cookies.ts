// oidc-provider's own cookies (session, interaction, resume and their .sig companions), named so
// that over https each carries a prefix the browser enforces (RFC 6265bis §4.1.3), as Gatehouse's
// own cookies do. The session cookie lives at path '/' and so takes __Host-: Secure, no Domain,
// path '/', which a sibling subdomain cannot overwrite (OWASP ASVS 5.0 V3.3.1). The interaction
// and resume cookies are scoped to their own paths (/interaction/<uid>, /auth/<uid>), which
// __Host- forbids, so they take __Secure-.
import type { Configuration } from 'oidc-provider';

export const PLAIN_COOKIE_NAMES = { session: '_session', interaction: '_interaction', resume: '_interaction_resume' } as const;

export const HTTPS_COOKIE_NAMES = {
  session: '__Host-_session',
  interaction: '__Secure-_interaction',
  resume: '__Secure-_interaction_resume',
} as const;

export function providerCookies(options: { issuer: string; keys: string[] }): NonNullable<Configuration['cookies']> {
  const secure = options.issuer.startsWith('https://');
  return {
    keys: options.keys,
    names: secure ? { ...HTTPS_COOKIE_NAMES } : { ...PLAIN_COOKIE_NAMES },
    long: { httpOnly: true, sameSite: 'lax', signed: true, ...(secure ? { secure: true, path: '/' } : {}) },
    short: { httpOnly: true, sameSite: 'lax', signed: true, ...(secure ? { secure: true } : {}) },
  };
}
