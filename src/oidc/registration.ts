// Dynamic client registration (RFC 7591) and its management (RFC 7592) as oidc-provider options,
// and the initial access tokens that gate it in `token` mode. An initial access token is written
// here, through the same adapters the provider reads (so the CLI needs no provider), in the shape
// oidc-provider gives one; a use limit rides along in the payload and is counted in Postgres.
import { randomBytes } from 'node:crypto';
import { errors, type AdapterFactory, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { hashToken, randomToken } from '../crypto/tokens.js';
import type { Settings } from '../config.js';
import type { Queryable } from '../storage/db.js';
import { spendPayloadUse } from '../storage/repositories/oidc-payloads.js';

export type RegistrationMode = Settings['dynamicRegistration']['mode'];

/** The policy an initial access token minted with a use limit carries. */
export const LIMITED_USES_POLICY = 'limited-uses';

// An admin hands the token to someone: a lifetime long enough for a deployment, short enough to
// be forgotten safely.
export const INITIAL_ACCESS_MAX_SECONDS = 30 * 24 * 3600;
export const INITIAL_ACCESS_MAX_USES = 10_000;

export interface InitialAccessTokens {
  /** A new token, shown only to whoever minted it; undefined maxUses means any number. */
  mint(options: { expiresInSeconds: number; maxUses?: number | undefined }): Promise<{ token: string; expiresAt: Date }>;
  /** Counts one registration under the token; false when it has no use left. */
  spendUse(token: string): Promise<boolean>;
}

export function createInitialAccessTokens(deps: { adapters: AdapterFactory; database: Queryable }): InitialAccessTokens {
  return {
    async mint({ expiresInSeconds, maxUses }) {
      if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > INITIAL_ACCESS_MAX_SECONDS) {
        throw new RangeError(`expiresInSeconds must be 1 to ${INITIAL_ACCESS_MAX_SECONDS}`);
      }
      if (maxUses !== undefined && (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > INITIAL_ACCESS_MAX_USES)) {
        throw new RangeError(`maxUses must be 1 to ${INITIAL_ACCESS_MAX_USES}`);
      }
      // 256 bits, as oidc-provider's own opaque tokens (ASVS 5.0 V7.2.3).
      const token = randomToken();
      const iat = Math.floor(Date.now() / 1000);
      const exp = iat + expiresInSeconds;
      await deps.adapters('InitialAccessToken').upsert(token, {
        iat, exp, jti: token, kind: 'InitialAccessToken',
        ...(maxUses !== undefined ? { policies: [LIMITED_USES_POLICY], maxUses, uses: 0 } : {}),
      }, expiresInSeconds);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    // The row is keyed by the token's hash (adapters/hashed-ids.ts).
    spendUse: (token) => spendPayloadUse(deps.database, 'InitialAccessToken', hashToken(token)),
  };
}

type Features = NonNullable<Configuration['features']>;

/** features.registration and features.registrationManagement for the configured mode. */
export function registrationFeatures(mode: RegistrationMode, spendUse: InitialAccessTokens['spendUse']): Pick<Features, 'registration' | 'registrationManagement'> {
  if (mode === 'off') return { registration: { enabled: false }, registrationManagement: { enabled: false } };
  return {
    registration: {
      enabled: true,
      initialAccessToken: mode === 'token',
      issueRegistrationAccessToken: true,
      // Hex, as `clients add` makes them: an id starting with '-' would read as a flag on a command line.
      idFactory: () => randomBytes(16).toString('hex'),
      secretFactory: () => randomBytes(32).toString('base64url'),
      // oidc-provider allows policies only with stored initial access tokens; a token naming a
      // policy the provider lacks fails with a 500, so the use limit is never passed on to the
      // registration access token (switching to open later leaves no token naming it).
      ...(mode === 'token' ? {
        policies: {
          async [LIMITED_USES_POLICY](ctx: KoaContextWithOIDC) {
            const registrationToken = ctx.oidc.entities.RegistrationAccessToken as { policies?: string[] | undefined } | undefined;
            if (registrationToken) registrationToken.policies = undefined;
            const token = ctx.oidc.entities.InitialAccessToken;
            if (!token?.jti || !(await spendUse(token.jti))) throw new errors.InvalidToken('initial access token has no uses left');
          },
        },
      } : {}),
    },
    // RFC 7592: read, update and delete with the registration access token, a new one after each
    // update so a leaked old one stops working.
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  };
}
