// The shape of the non-secret settings (config/defaults.json, overridden by SETTINGS_FILE), with
// the reason for each block beside it. config.ts reads and validates them; nothing else does.
import { z } from 'zod';

export const positiveInt = z.coerce.number().int().positive();

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 as the floor. Neither the
// settings file nor the ARGON2_* variables may go below it, in any environment.
export const ARGON2_FLOOR = { memoryKiB: 19456, iterations: 2 } as const;

// An API that accepts Gatehouse access tokens, named by its resource indicator (RFC 8707).
const resourceServerSchema = z.object({
  scope: z.string().trim().min(1),
  accessTokenFormat: z.enum(['opaque', 'jwt']).default('jwt'),
  jwtAlgorithm: z.enum(['RS256', 'ES256', 'EdDSA']).default('ES256'),
  accessTokenTtlSeconds: positiveInt.optional(),
}).strict();

export type ResourceServerSettings = z.infer<typeof resourceServerSchema>;

const rateLimitSchema = z.object({ points: positiveInt, windowSeconds: positiveInt }).strict();

// A generic OpenID upstream, found by discovery at its issuer; its client secret is read from the
// environment variable clientSecretEnv names (secrets never sit in settings files).
const upstreamSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits or dashes'),
  displayName: z.string().trim().min(1).max(60),
  issuer: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1).max(256),
  clientSecretEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must name an environment variable, e.g. OKTA_CLIENT_SECRET').optional(),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).min(1).default(['openid', 'email', 'profile'])
    .refine((scopes) => scopes.includes('openid'), 'must include openid'),
  // Whether the upstream's amr containing 'mfa' counts as Gatehouse's second factor.
  trustUpstreamMfa: z.boolean().default(false),
}).strict();

const BUILT_IN_UPSTREAMS = ['google', 'microsoft'];

/** WCAG's contrast ratio between a #rrggbb colour and white. */
export function contrastWithWhite(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((at) => {
    const value = parseInt(hex.slice(at, at + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  });
  return 1.05 / (0.2126 * r! + 0.7152 * g! + 0.0722 * b! + 0.05);
}

// What people see of the deployment: its name, logo, colour and whom to ask for help, on every page
// and mail. The colour carries white button text, so it must keep WCAG 2.2 SC 1.4.3's 4.5:1. Logos
// are served by Gatehouse (logoFile) or come from an origin listed here (the CSP's img-src).
const httpsOrigin = z.url({ protocol: /^https$/ }).refine((value) => new URL(value).origin === value, 'must be an origin, like https://cdn.example.com');
const brandingSchema = z.object({
  productName: z.string().trim().min(1).max(60),
  primaryColour: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1d4ed8')
    .superRefine((hex, check) => {
      const ratio = contrastWithWhite(hex);
      if (ratio < 4.5) check.addIssue({ code: 'custom', message: `must keep 4.5:1 contrast with white text (WCAG 2.2 SC 1.4.3); ${hex} has ${ratio.toFixed(2)}:1` });
    }),
  /** An SVG or PNG file Gatehouse serves at /branding/logo. */
  logoFile: z.string().regex(/\.(svg|png)$/i, 'must be an .svg or .png file').nullable(),
  /** Origins app logos (client logo_uri) may come from; others are not shown. */
  logoOrigins: z.array(httpsOrigin).max(20),
  /** Shown under every page and mail: an email address or an https page. */
  supportContact: z.union([z.email(), z.url({ protocol: /^https$/ })]).nullable(),
}).strict();

export type BrandingSettings = z.infer<typeof brandingSchema>;

// Non-secret, declarative settings; config/defaults.json holds the shipped values and
// SETTINGS_FILE may name a JSON file whose values override them.
export const settingsSchema = z.object({
  resourceServers: z.record(z.url({ protocol: /^https?$/ }), resourceServerSchema).default({}),
  ttlSeconds: z.object({
    accessToken: positiveInt,
    authorizationCode: positiveInt,
    clientCredentials: positiveInt,
    idToken: positiveInt,
    refreshToken: positiveInt,
    grant: positiveInt,
    interaction: positiveInt,
  }).strict(),
  argon2: z.object({
    memoryKiB: positiveInt.min(ARGON2_FLOOR.memoryKiB),
    iterations: positiveInt.min(ARGON2_FLOOR.iterations),
    parallelism: positiveInt,
  }).strict(),
  // Password hashing queue: at most maxConcurrent at once (0 = one per core), maxQueued waiting.
  passwordHashing: z.object({ maxConcurrent: z.number().int().min(0), maxQueued: z.number().int().min(0) }).strict(),
  // New passwords (NIST 800-63B §3.1.1.2): at least 8 characters, and at least 64 must be allowed;
  // 128 bounds the work per request. Counted in code points after NFKC. See services/password-policy.ts.
  passwordPolicy: z.object({ minLength: z.number().int().min(8), maxLength: z.number().int().min(64).max(128) }).strict()
    .refine((policy) => policy.minLength <= policy.maxLength, { message: 'minLength must not exceed maxLength', path: ['minLength'] }),
  sweeper: z.object({ intervalSeconds: positiveInt, batchSize: positiveInt }).strict(),
  // Audit trail: rows older than this are deleted by the sweeper (services/audit.ts).
  audit: z.object({ retentionDays: positiveInt.max(3650) }).strict(),
  // Rate limits shared by every node (Redis, or Postgres without it): sign-in attempts per IP,
  // wrong passwords per IP across accounts (credential stuffing), second-factor codes per IP,
  // registrations per IP, and token requests per client.
  rateLimits: z.object({
    loginPerIp: rateLimitSchema,
    loginFailuresPerIp: rateLimitSchema,
    secondFactorPerIp: rateLimitSchema,
    registrationPerIp: rateLimitSchema,
    // Dynamic client registration (RFC 7591): new clients from one IP.
    clientRegistrationPerIp: rateLimitSchema,
    tokenPerClient: rateLimitSchema,
    // The admin API: every request per IP (before the token is looked up), and per admin account.
    adminApiPerIp: rateLimitSchema,
    // The admin console's pages, signed in or not, per IP.
    adminConsolePerIp: rateLimitSchema,
    adminApiPerAccount: rateLimitSchema,
  }).strict(),
  // The admin API (/admin/api): how long its access tokens live (short: they carry an admin's
  // power), and how often its event stream looks for sessions about to expire.
  adminApi: z.object({
    accessTokenTtlSeconds: positiveInt.max(3600),
    expiryScanSeconds: positiveInt.max(3600),
  }).strict(),
  // Lockout (ASVS 5.0 V6.3.5 / NIST 800-63B §5.2.2), per (account, source) so that nobody can
  // lock the owner out: maxFailures wrong passwords within windowSeconds from one IP, or from one
  // browser the account knows, lock that pair for lockSeconds, doubled on each further lock up to
  // maxLockSeconds; the owner is mailed a single-use unlock link valid for unlockLinkTtlSeconds.
  // accountThrottle: once afterFailures wrong passwords from sources other than known browsers
  // pile up within windowSeconds, those sources get one attempt per wait, which starts at
  // delaySeconds and doubles with each further failure up to maxDelaySeconds.
  lockout: z.object({
    maxFailures: positiveInt.max(100),
    windowSeconds: positiveInt,
    lockSeconds: positiveInt,
    maxLockSeconds: positiveInt,
    unlockLinkTtlSeconds: positiveInt,
    accountThrottle: z.object({
      afterFailures: positiveInt.max(100),
      windowSeconds: positiveInt,
      delaySeconds: positiveInt,
      maxDelaySeconds: positiveInt,
    }).strict().refine((value) => value.maxDelaySeconds >= value.delaySeconds, { message: 'maxDelaySeconds must be at least delaySeconds' }),
  }).strict().refine((value) => value.maxLockSeconds >= value.lockSeconds, { message: 'maxLockSeconds must be at least lockSeconds' }),
  // How long SIGTERM waits for requests in flight before cutting connections.
  shutdown: z.object({ drainTimeoutMs: positiveInt }).strict(),
  // The latest a request is answered: past it, 503 temporarily_unavailable whatever a store is
  // doing, so every request ends within 5 s (the rest of the 5 s is room for writing the answer).
  requestBudgetMs: positiveInt.max(60_000),
  database: z.object({ poolSize: positiveInt, statementTimeoutMs: positiveInt, connectionTimeoutMs: positiveInt }).strict(),
  redis: z.object({ connectTimeoutMs: positiveInt, commandTimeoutMs: positiveInt }).strict(),
  // How long a node serves a client's registration from memory (0: read it on every request); a
  // client changed or deleted elsewhere is seen within this time. See oidc/adapters/clients.ts.
  clientCacheSeconds: z.coerce.number().int().min(0).max(300),
  // After a client's secret is rotated, how long the previous one is still accepted (0: it stops
  // at once), so an app can be redeployed with the new secret without an outage.
  clients: z.object({ secretRotationOverlapSeconds: z.coerce.number().int().min(0).max(30 * 86_400) }).strict(),
  // Mail: tries in all and the first backoff (doubled each time); each SMTP step's timeout. The
  // queue of the account pages' mail (services/account-mail.ts): how often each node looks for
  // due mail, how often a mail is tried before it is given up, the delay before the first retry
  // (doubled each time, capped), jobs per claim, and how long given-up jobs are kept.
  mail: z.object({
    retry: z.object({ attempts: positiveInt, baseDelayMs: z.number().int().min(0) }).strict(),
    smtpTimeoutMs: positiveInt,
    queue: z.object({
      pollIntervalMs: positiveInt,
      maxAttempts: positiveInt.max(100),
      baseDelaySeconds: positiveInt,
      maxDelaySeconds: positiveInt,
      batchSize: positiveInt.max(1000),
      retentionDays: positiveInt.max(3650),
    }).strict(),
  }).strict(),
  // Dynamic client registration (RFC 7591, managed after through RFC 7592): off; token, where each
  // registration presents an initial access token minted by `gatehouse clients registration-token`;
  // or open, where anyone may register a client (development only: refused in production).
  dynamicRegistration: z.object({ mode: z.enum(['off', 'token', 'open']) }).strict(),
  // Self-service sign-up: open, invite-only (an admin's invitation link is needed), or off (404);
  // how long an invitation link works.
  registration: z.object({ policy: z.enum(['open', 'invite-only', 'off']), invitationTtlSeconds: positiveInt }).strict(),
  // Email verification: link lifetime, whether unverified accounts may sign in, resend limits.
  emailVerification: z.object({
    tokenTtlSeconds: positiveInt,
    loginPolicy: z.enum(['block', 'allow']),
    resendLimits: z.object({ perAddress: rateLimitSchema, perIp: rateLimitSchema }).strict(),
  }).strict(),
  // Password reset: link lifetime and request limits (every request counts, known address or not).
  passwordReset: z.object({
    tokenTtlSeconds: positiveInt,
    requestLimits: z.object({ perAddress: rateLimitSchema, perIp: rateLimitSchema }).strict(),
  }).strict(),
  // The signed-in account pages: who may undo a deactivation (the person by signing in again, or
  // only an admin), and how often the password may be asked again per account (a stolen session
  // must not become a password-guessing oracle). defaultRoles: the roles every new account starts
  // with, however it is created (registration, an admin, the CLI, a first federated sign-in).
  accounts: z.object({
    reactivation: z.enum(['sign-in', 'admin']),
    defaultRoles: z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'must be a role name: a lowercase letter, then up to 39 lowercase letters, digits, "_" or "-"')).max(20),
    reauthenticationLimit: rateLimitSchema,
  }).strict(),
  // Two-factor sign-in: the issuer shown in authenticator apps (a colon would split the otpauth
  // label), wrong codes before a lock (NIST 800-63B §3.2.2 allows at most 100) and its length,
  // how long "remember this device" lasts, and who must have a second factor.
  twoFactor: z.object({
    issuerLabel: z.string().trim().min(1).max(64).regex(/^[^:]+$/, 'must not contain ":"'),
    maxFailures: positiveInt.max(100),
    lockoutSeconds: positiveInt,
    trustedDeviceDays: positiveInt.max(365),
    policy: z.object({
      mode: z.enum(['optional', 'required']),
      requiredForRoles: z.array(z.string().trim().min(1)).default([]),
      requiredForClients: z.array(z.string().trim().min(1)).default([]),
    }).strict(),
  }).strict(),
  // Sign-in through other identity providers: whether a first federated sign-in with a
  // verified email creates an account, how long an upstream round trip may take, and the generic
  // OpenID upstreams (Google and Microsoft come from GOOGLE_* / MICROSOFT_* variables).
  federation: z.object({
    accountCreation: z.enum(['verified-email', 'off']),
    stateTtlSeconds: positiveInt.max(3600),
    providers: z.array(upstreamSchema).default([])
      .refine((list) => new Set(list.map((upstream) => upstream.id)).size === list.length, 'provider ids must be unique')
      .refine((list) => list.every((upstream) => !BUILT_IN_UPSTREAMS.includes(upstream.id)), 'google and microsoft are configured by environment variables'),
  }).strict(),
  // Signed-in sessions: how long a session lasts with "remember me" and without it (the
  // cookie then ends with the browser), the idle timeout (OWASP Session Management Cheat Sheet;
  // every use at the provider restarts it), the most sessions an account may hold (the oldest is
  // ended), when /account/events warns of expiry, and whether ending a session revokes a client's
  // offline_access grant too (per client, or the default). backchannelLogout tunes the outbox.
  sessions: z.object({
    rememberMeSeconds: positiveInt,
    browserSessionSeconds: positiveInt,
    idleTimeoutSeconds: positiveInt,
    maxPerAccount: positiveInt.max(1000),
    expiryWarningSeconds: positiveInt,
    revokeRefreshTokensOnEnd: z.object({
      default: z.boolean(),
      clients: z.record(z.string().min(1), z.boolean()).default({}),
    }).strict(),
    backchannelLogout: z.object({
      timeoutMs: positiveInt.max(60_000),
      maxAttempts: positiveInt.max(100),
      baseDelaySeconds: positiveInt,
      maxDelaySeconds: positiveInt,
      pollIntervalMs: positiveInt,
      batchSize: positiveInt.max(1000),
      perClientConcurrency: positiveInt.max(100),
      retentionDays: positiveInt.max(3650),
      // Tests only: lets deliveries reach loopback and private addresses (the SSRF guard is off).
      allowPrivateAddresses: z.boolean(),
    }).strict(),
  }).strict(),
  branding: brandingSchema,
}).strict();

export type Settings = z.infer<typeof settingsSchema>;
