// The browser's half of an upstream round trip, in cookies signed with COOKIE_SECRETS (HMAC, so
// the browser can carry but not alter them). The state cookie holds state, nonce and the PKCE
// verifier and names the provider and purpose it was issued for (mix-up defence, RFC 9700 §4.4):
// it is read and cleared once, on that provider's callback path. After a sign-in callback, the
// verified identity waits in a second cookie scoped to the interaction's own path.
import type Koa from 'koa';
import { z } from 'zod';
import { FederationError, newRoundTrip, type Upstream } from '../services/upstream.js';
import { FEDERATION_CALLBACK_PREFIX } from '../paths.js';
import { decodeCookieJson as decode, encodeCookieJson as encode } from './cookie-json.js';

export const upstreamIdentitySchema = z.object({
  providerId: z.string().min(1).max(32),
  issuer: z.string().min(1).max(500),
  subject: z.string().min(1).max(255),
  email: z.string().max(320).nullable(),
  emailVerified: z.boolean(),
  name: z.string().max(200).nullable(),
  givenName: z.string().max(100).nullable(),
  familyName: z.string().max(100).nullable(),
  amr: z.array(z.string().max(64)).max(20),
});

const tripFields = { provider: z.string().min(1).max(32), state: z.string().min(1), nonce: z.string().min(1), codeVerifier: z.string().min(43).max(128) };

const stateSchema = z.discriminatedUnion('purpose', [
  z.object({ purpose: z.literal('login'), uid: z.string().min(1).max(64), ...tripFields }),
  z.object({ purpose: z.literal('link'), accountId: z.string().min(1).max(64), ...tripFields }),
]);

const identityCookieSchema = z.object({ uid: z.string().min(1).max(64), identity: upstreamIdentitySchema });

export type FederationState = z.infer<typeof stateSchema>;
/** What a round trip is for: a sign-in in an interaction, or linking to a signed-in account. */
export type RoundTripPurpose = { purpose: 'login'; uid: string } | { purpose: 'link'; accountId: string };
export type VerifiedIdentityCookie = z.infer<typeof identityCookieSchema>;

export function createFederationCookies(options: { secure: boolean; stateTtlSeconds: number }) {
  const { secure, stateTtlSeconds } = options;
  const prefix = secure ? '__Secure-' : '';
  const stateName = `${prefix}gatehouse.federation`;
  const identityName = `${prefix}gatehouse.federated-identity`;
  // Lax: the callback is a top-level GET from the upstream's site, which Lax cookies accompany.
  const base = { httpOnly: true, sameSite: 'lax', secure, signed: true, overwrite: true } as const;
  const stateOptions = { ...base, path: FEDERATION_CALLBACK_PREFIX };
  const identityPath = (uid: string) => `/interaction/${encodeURIComponent(uid)}`;

  return {
    /**
     * Sends the browser to the upstream with a fresh state, nonce and PKCE verifier, kept in the
     * state cookie. An upstream that cannot be reached (discovery) comes back as the error, for
     * the caller to show on its own page.
     */
    async redirectToUpstream(ctx: Koa.Context, upstream: Upstream, purpose: RoundTripPurpose): Promise<FederationError | undefined> {
      const trip = newRoundTrip();
      let url: URL;
      try {
        url = await upstream.authorizationUrl(trip);
      } catch (error) {
        if (error instanceof FederationError) return error;
        throw error;
      }
      const state: FederationState = { ...purpose, provider: upstream.id, ...trip };
      ctx.cookies.set(stateName, encode(state), { ...stateOptions, maxAge: stateTtlSeconds * 1000 });
      ctx.status = 303;
      ctx.redirect(url.href);
      return undefined;
    },
    /** The state this browser was given, cleared: a callback can be answered once. */
    takeState(ctx: Koa.Context): FederationState | undefined {
      const state = decode(ctx.cookies.get(stateName, { signed: true }), stateSchema);
      ctx.cookies.set(stateName, null, stateOptions);
      return state;
    },
    writeIdentity(ctx: Koa.Context, value: VerifiedIdentityCookie): void {
      ctx.cookies.set(identityName, encode(value), { ...base, path: identityPath(value.uid), maxAge: stateTtlSeconds * 1000 });
    },
    takeIdentity(ctx: Koa.Context, uid: string): VerifiedIdentityCookie | undefined {
      const value = decode(ctx.cookies.get(identityName, { signed: true }), identityCookieSchema);
      ctx.cookies.set(identityName, null, { ...base, path: identityPath(uid) });
      return value?.uid === uid ? value : undefined;
    },
  };
}

export type FederationCookies = ReturnType<typeof createFederationCookies>;
