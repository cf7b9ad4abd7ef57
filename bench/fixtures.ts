// What every target is configured with, so the two are compared on the same clients and APIs.
import type { ClientInput } from '../src/services/clients.js';

export const REDIRECT_URI = 'https://rp.bench.test/callback';
/** The API whose client-credentials tokens are ES256 JWTs (RFC 8707 resource indicator). */
export const JWT_RESOURCE = 'https://api.bench.test';
export const JWT_SCOPE = 'bench:read';
export const SIGN_IN_SCOPE = 'openid offline_access';
export const USER_PASSWORD = 'correct horse battery staple';
/** Several accounts, so a per-account login limit (if one lands) does not throttle the bench. */
export const USER_COUNT = 16;

export function userEmail(index: number): string {
  return `bench-${index}@example.test`;
}

export function machineClientInput(jwtSupported: boolean): ClientInput {
  return { name: 'Bench service', grants: ['client_credentials'], ...(jwtSupported ? { scope: JWT_SCOPE } : {}) };
}

export const WEB_CLIENT_INPUT: ClientInput = {
  name: 'Bench web app',
  redirectUris: [REDIRECT_URI],
  grants: ['authorization_code', 'refresh_token'],
};

export const RESOURCE_SERVERS = {
  [JWT_RESOURCE]: { scope: JWT_SCOPE, accessTokenFormat: 'jwt', jwtAlgorithm: 'ES256' },
} as const;

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** Sent by a target process once it listens. */
export interface TargetReady {
  type: 'ready';
  url: string;
  storage: string;
  machine: ClientCredentials;
  web: ClientCredentials;
  users: { email: string; password: string }[];
  /** The resource indicator that yields JWT access tokens, or null when the target has none. */
  jwtResource: string | null;
  /** True when the target has a login page (Gatehouse); the bare library finishes interactions itself. */
  hasLoginPages: boolean;
  /** RSS right after the server listens, before the bench seeds clients and accounts. */
  listeningRssMiB: number;
}

/** Handed to a target process in BENCH_TARGET_SPEC. */
export interface TargetSpec {
  kind: 'gatehouse' | 'bare';
  port: number;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Passed as REDIS_KEY_PREFIX, so the run's keys can be found and removed afterwards. */
  redisKeyPrefix?: string;
}
