// The only reader of process.env and config/*.json. Everything else receives a parsed Config.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MIN_SECRET_BYTES = 32;

const positiveInt = z.coerce.number().int().positive();
const DEV_MAIL_FROM = 'Gatehouse <no-reply@localhost>';
// One mailbox, optionally with a display name: `a@b.example` or `Name <a@b.example>`.
const MAILBOX = /^(?:[^<>@\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/;

function isSmtpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
  } catch {
    return false;
  }
}

// An API that accepts Gatehouse access tokens, named by its resource indicator (RFC 8707).
const resourceServerSchema = z.object({
  scope: z.string().trim().min(1),
  accessTokenFormat: z.enum(['opaque', 'jwt']).default('jwt'),
  jwtAlgorithm: z.enum(['RS256', 'ES256', 'EdDSA']).default('ES256'),
  accessTokenTtlSeconds: positiveInt.optional(),
}).strict();

export type ResourceServerSettings = z.infer<typeof resourceServerSchema>;

const rateLimitSchema = z.object({ points: positiveInt, windowSeconds: positiveInt }).strict();

// Non-secret, declarative settings; config/defaults.json holds the shipped values and
// SETTINGS_FILE may name a JSON file whose values override them.
const settingsSchema = z.object({
  resourceServers: z.record(z.url({ protocol: /^https?$/ }), resourceServerSchema).default({}),
  ttlSeconds: z.object({
    accessToken: positiveInt,
    authorizationCode: positiveInt,
    clientCredentials: positiveInt,
    idToken: positiveInt,
    refreshToken: positiveInt,
    grant: positiveInt,
    interaction: positiveInt,
    session: positiveInt,
  }).strict(),
  argon2: z.object({
    // OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 as the floor.
    memoryKiB: positiveInt.min(19456),
    iterations: positiveInt.min(2),
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
  // How long SIGTERM waits for requests in flight before cutting connections.
  shutdown: z.object({ drainTimeoutMs: positiveInt }).strict(),
  database: z.object({ poolSize: positiveInt, statementTimeoutMs: positiveInt, connectionTimeoutMs: positiveInt }).strict(),
  redis: z.object({ connectTimeoutMs: positiveInt, commandTimeoutMs: positiveInt }).strict(),
  // How long a node serves a client's registration from memory (0: read it on every request); a
  // client changed or deleted elsewhere is seen within this time. See oidc/adapters/clients.ts.
  clientCacheSeconds: z.coerce.number().int().min(0).max(300),
  // Mail: tries in all and the first backoff (doubled each time); each SMTP step's timeout.
  mail: z.object({ retry: z.object({ attempts: positiveInt, baseDelayMs: z.number().int().min(0) }).strict(), smtpTimeoutMs: positiveInt }).strict(),
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
  // must not become a password-guessing oracle).
  accounts: z.object({
    reactivation: z.enum(['sign-in', 'admin']),
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
}).strict();

const secretSchema = (name: string) =>
  z.string().refine((value) => Buffer.byteLength(value) >= MIN_SECRET_BYTES, {
    message: `${name} must be at least ${MIN_SECRET_BYTES} bytes`,
  });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).optional(),
  ISSUER: z.url().optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL').optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'REDIS_URL must be a redis:// or rediss:// URL').optional(),
  REDIS_KEY_PREFIX: z.string().min(1).default('gatehouse:'),
  DATA_DIR: z.string().min(1).default('./data'),
  ENCRYPTION_KEY: secretSchema('ENCRYPTION_KEY').optional(),
  COOKIE_SECRETS: z.string().optional(),
  SETTINGS_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  ARGON2_MEMORY_KIB: positiveInt.optional(),
  ARGON2_ITERATIONS: positiveInt.optional(),
  ARGON2_PARALLELISM: positiveInt.optional(),
  SMTP_URL: z.string().refine(isSmtpUrl, 'SMTP_URL must be an smtp:// or smtps:// URL with a host').optional(),
  MAIL_FROM: z.string().regex(MAILBOX, 'MAIL_FROM must be an address such as "Gatehouse <no-reply@example.com>"').optional(),
  MAIL_TRANSPORT: z.enum(['smtp', 'outbox']).optional(),
});

// DESIGN.md §5: production refuses dev mail. Writing mail to DATA_DIR/outbox is allowed there only
// when asked for by name (MAIL_TRANSPORT=outbox), e.g. for a staging box nobody receives mail from.
function resolveMail(env: z.infer<typeof envSchema>, production: boolean, dataDir: string): MailConfig {
  const transport = env.MAIL_TRANSPORT ?? (env.SMTP_URL ? 'smtp' : 'outbox');
  const outboxDir = path.join(dataDir, 'outbox');
  if (transport === 'outbox') {
    if (env.SMTP_URL) throw new ConfigError('MAIL_TRANSPORT: outbox conflicts with SMTP_URL; unset one of them');
    if (production && env.MAIL_TRANSPORT !== 'outbox') {
      throw new ConfigError('SMTP_URL: required in production (without it mail only goes to DATA_DIR/outbox; set MAIL_TRANSPORT=outbox to accept that)');
    }
    return { transport, from: env.MAIL_FROM ?? DEV_MAIL_FROM, outboxDir };
  }
  if (!env.SMTP_URL) throw new ConfigError('SMTP_URL: required when MAIL_TRANSPORT=smtp');
  if (production && !env.MAIL_FROM) throw new ConfigError('MAIL_FROM: required in production when SMTP_URL is set');
  return { transport, smtpUrl: env.SMTP_URL, from: env.MAIL_FROM ?? DEV_MAIL_FROM, outboxDir };
}

export type Settings = z.infer<typeof settingsSchema>;

/** smtp: SMTP_URL; outbox: every message written as an .eml file to outboxDir (DATA_DIR/outbox). */
export type MailConfig =
  | { transport: 'smtp'; smtpUrl: string; from: string; outboxDir: string }
  | { transport: 'outbox'; from: string; outboxDir: string };

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  issuer: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  dataDir: string;
  encryptionKey: string;
  cookieSecrets: string[];
  logLevel: string;
  trustProxy: boolean;
  mail: MailConfig;
  settings: Settings;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`).join('; ');
}

const DEFAULT_SETTINGS_FILE = path.join(PROJECT_ROOT, 'config', 'defaults.json');

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`cannot read settings file ${file}: ${(cause as Error).message}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else in the override replaces the default. */
function mergeSettings(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergeSettings(base[key], value);
  return merged;
}

/** The settings alone, for a command that checks its input before it opens or writes anything. */
export function loadSettingsFromEnvironment(): Settings {
  return loadSettings(process.env.SETTINGS_FILE ? path.resolve(process.env.SETTINGS_FILE) : undefined);
}

export function loadSettings(overrideFile?: string): Settings {
  const raw = overrideFile ? mergeSettings(readJson(DEFAULT_SETTINGS_FILE), readJson(overrideFile)) : readJson(DEFAULT_SETTINGS_FILE);
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`settings ${overrideFile ?? DEFAULT_SETTINGS_FILE}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

interface DevSecrets { encryptionKey: string; cookieSecrets: string[] }

// Development only: secrets are generated once and kept beside the data so restarts keep
// sessions, cookies and the ability to decrypt signing keys.
function loadOrCreateDevSecrets(dataDir: string, notice: (message: string) => void): DevSecrets {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  const secrets: DevSecrets = {
    encryptionKey: randomBytes(32).toString('base64url'),
    cookieSecrets: [randomBytes(32).toString('base64url')],
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  notice(`generated development secrets into ${file}; set ENCRYPTION_KEY and COOKIE_SECRETS in production`);
  return secrets;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  notice?: (message: string) => void;
  settings?: Settings;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const source = options.env ?? process.env;
  const notice = options.notice ?? ((message: string) => process.stderr.write(`gatehouse: ${message}\n`));
  const blankAsUnset = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(blankAsUnset);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const env = parsed.data;
  const production = env.NODE_ENV === 'production';
  const dataDir = path.resolve(env.DATA_DIR);

  const issuer = (env.ISSUER ?? `http://localhost:${env.PORT}`).replace(/\/$/, '');
  if (production && !env.ISSUER) throw new ConfigError('ISSUER: required in production');
  if (production && !issuer.startsWith('https://')) throw new ConfigError('ISSUER: must be an https:// URL in production');

  const cookieSecrets = env.COOKIE_SECRETS?.split(',').map((s) => s.trim()).filter(Boolean);
  const shortCookieSecret = cookieSecrets?.find((s) => Buffer.byteLength(s) < MIN_SECRET_BYTES);
  if (shortCookieSecret !== undefined) {
    throw new ConfigError(`COOKIE_SECRETS: every secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }

  let encryptionKey = env.ENCRYPTION_KEY;
  let secrets = cookieSecrets && cookieSecrets.length > 0 ? cookieSecrets : undefined;
  if (!encryptionKey || !secrets) {
    if (production) {
      throw new ConfigError(`${!encryptionKey ? 'ENCRYPTION_KEY' : 'COOKIE_SECRETS'}: required in production (at least ${MIN_SECRET_BYTES} bytes)`);
    }
    const generated = loadOrCreateDevSecrets(dataDir, notice);
    encryptionKey ??= generated.encryptionKey;
    secrets ??= generated.cookieSecrets;
  }

  const mail = resolveMail(env, production, dataDir);
  const settings = options.settings ?? loadSettings(env.SETTINGS_FILE ? path.resolve(env.SETTINGS_FILE) : undefined);
  const argon2 = {
    memoryKiB: env.ARGON2_MEMORY_KIB ?? settings.argon2.memoryKiB,
    iterations: env.ARGON2_ITERATIONS ?? settings.argon2.iterations,
    parallelism: env.ARGON2_PARALLELISM ?? settings.argon2.parallelism,
  };

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST ?? (production ? '0.0.0.0' : 'localhost'),
    issuer,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    dataDir,
    encryptionKey,
    cookieSecrets: secrets,
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY === 'true',
    mail,
    settings: { ...settings, argon2 },
  };
}
