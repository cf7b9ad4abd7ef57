// The only reader of process.env and config/*.json. Everything else receives a parsed Config.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ADMIN_SCOPE, adminApiResource } from './paths.js';
import { ARGON2_FLOOR, positiveInt, settingsSchema, type ResourceServerSettings, type Settings } from './settings-schema.js';

export type { BrandingSettings, ResourceServerSettings, Settings } from './settings-schema.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MIN_SECRET_BYTES = 32;

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
  // false, true (one proxy), or how many proxies in a row append to X-Forwarded-For.
  TRUST_PROXY: z.union([z.enum(['true', 'false']), z.coerce.number().int().min(1).max(10)]).default('false'),
  ARGON2_MEMORY_KIB: positiveInt.min(ARGON2_FLOOR.memoryKiB, `ARGON2_MEMORY_KIB must be at least ${ARGON2_FLOOR.memoryKiB} (OWASP's floor for argon2id)`).optional(),
  ARGON2_ITERATIONS: positiveInt.min(ARGON2_FLOOR.iterations, `ARGON2_ITERATIONS must be at least ${ARGON2_FLOOR.iterations} (OWASP's floor for argon2id)`).optional(),
  ARGON2_PARALLELISM: positiveInt.optional(),
  SMTP_URL: z.string().refine(isSmtpUrl, 'SMTP_URL must be an smtp:// or smtps:// URL with a host').optional(),
  MAIL_FROM: z.string().regex(MAILBOX, 'MAIL_FROM must be an address such as "Gatehouse <no-reply@example.com>"').optional(),
  MAIL_TRANSPORT: z.enum(['smtp', 'outbox']).optional(),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  MICROSOFT_CLIENT_ID: z.string().min(1).optional(),
  MICROSOFT_CLIENT_SECRET: z.string().min(1).optional(),
  // A tenant id or domain, or common / organizations / consumers.
  MICROSOFT_TENANT: z.string().regex(/^[A-Za-z0-9.-]{1,100}$/, 'MICROSOFT_TENANT must be a tenant id, a domain, common, organizations or consumers').default('common'),
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


/** A configured upstream identity provider, its secret resolved from the environment. */
export type UpstreamConfig =
  | { kind: 'google'; id: 'google'; displayName: string; clientId: string; clientSecret: string }
  | { kind: 'microsoft'; id: 'microsoft'; displayName: string; clientId: string; clientSecret: string; tenant: string }
  | {
    kind: 'oidc'; id: string; displayName: string; issuer: string; clientId: string; clientSecret: string | undefined;
    scopes: string[]; trustUpstreamMfa: boolean;
  };

/** Both variables of a pair, or neither: half a client registration is a typo, not a choice. */
function pairOf(idName: string, id: string | undefined, secretName: string, secret: string | undefined): { clientId: string; clientSecret: string } | undefined {
  if (id === undefined && secret === undefined) return undefined;
  if (id === undefined || secret === undefined) throw new ConfigError(`${id === undefined ? idName : secretName}: required when ${id === undefined ? secretName : idName} is set`);
  return { clientId: id, clientSecret: secret };
}

function resolveUpstreams(env: z.infer<typeof envSchema>, source: Record<string, string | undefined>, settings: Settings, production: boolean): UpstreamConfig[] {
  const upstreams: UpstreamConfig[] = [];
  const google = pairOf('GOOGLE_CLIENT_ID', env.GOOGLE_CLIENT_ID, 'GOOGLE_CLIENT_SECRET', env.GOOGLE_CLIENT_SECRET);
  if (google) upstreams.push({ kind: 'google', id: 'google', displayName: 'Google', ...google });
  const microsoft = pairOf('MICROSOFT_CLIENT_ID', env.MICROSOFT_CLIENT_ID, 'MICROSOFT_CLIENT_SECRET', env.MICROSOFT_CLIENT_SECRET);
  if (microsoft) upstreams.push({ kind: 'microsoft', id: 'microsoft', displayName: 'Microsoft', tenant: env.MICROSOFT_TENANT, ...microsoft });
  settings.federation.providers.forEach((upstream, index) => {
    const at = `federation.providers.${index}`;
    if (production && !upstream.issuer.startsWith('https://')) throw new ConfigError(`${at}.issuer: must be an https:// URL in production`);
    const clientSecret = upstream.clientSecretEnv ? source[upstream.clientSecretEnv] : undefined;
    if (upstream.clientSecretEnv && clientSecret === undefined) throw new ConfigError(`${upstream.clientSecretEnv}: required by ${at}.clientSecretEnv`);
    upstreams.push({
      kind: 'oidc', id: upstream.id, displayName: upstream.displayName, issuer: upstream.issuer, clientId: upstream.clientId,
      clientSecret, scopes: upstream.scopes, trustUpstreamMfa: upstream.trustUpstreamMfa,
    });
  });
  return upstreams;
}

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
  /** How many reverse proxies in front append to X-Forwarded-For (TRUST_PROXY); 0 ignores it. */
  trustedProxyHops: number;
  mail: MailConfig;
  /** Upstream identity providers with a sign-in button, in the order shown. */
  upstreams: UpstreamConfig[];
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
  // Anyone on the network could register a client that shows our consent page under its own name.
  if (production && settings.dynamicRegistration.mode === 'open') {
    throw new ConfigError('dynamicRegistration.mode: must not be open in production (use token, with initial access tokens from `gatehouse clients registration-token`)');
  }
  // A client's backchannel_logout_uri is its own to choose: production keeps the SSRF guard.
  if (production && settings.sessions.backchannelLogout.allowPrivateAddresses) {
    throw new ConfigError('sessions.backchannelLogout.allowPrivateAddresses: must be false in production');
  }
  // The admin API is an API of Gatehouse's own, named like the configured ones (admin/paths.ts).
  if (Object.hasOwn(settings.resourceServers, adminApiResource(issuer))) {
    throw new ConfigError(`resourceServers: ${adminApiResource(issuer)} is Gatehouse's own admin API and cannot be configured`);
  }
  const resourceServers = withAdminApi(issuer, settings.resourceServers, settings.adminApi.accessTokenTtlSeconds);
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
    trustedProxyHops: env.TRUST_PROXY === 'true' ? 1 : env.TRUST_PROXY === 'false' ? 0 : env.TRUST_PROXY,
    mail,
    upstreams: resolveUpstreams(env, blankAsUnset, settings, production),
    settings: { ...settings, argon2, resourceServers },
  };
}

/**
 * The configured APIs plus the admin API (a configured one at its URL is refused above). Opaque
 * tokens, so revoking one (or the grant behind it) takes effect on the next request, not at expiry.
 */
function withAdminApi(
  issuer: string, configured: Record<string, ResourceServerSettings>, accessTokenTtlSeconds: number,
): Record<string, ResourceServerSettings> {
  return {
    ...configured,
    [adminApiResource(issuer)]: { scope: ADMIN_SCOPE, accessTokenFormat: 'opaque', jwtAlgorithm: 'ES256', accessTokenTtlSeconds },
  };
}
