// Whether the answer time of "forgot password", "resend verification" and registration tells an
// existing address from an unknown one (ASVS 5.0 V6.3.8: no account enumeration). Requests for
// both kinds of address are interleaved in random order against the real server; the table shows
// the medians, their difference, and a two-sample Kolmogorov-Smirnov test of the two samples.
//
//   npx tsx bench/account-page-timing.ts [--requests 100] [--smtp-down] [--database-url postgres://…]
//
// --smtp-down points SMTP_URL at a closed port; without it mail goes to the outbox. The database
// is PGlite in a temp directory, or a fresh database created on --database-url and dropped after.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';
import { createBenchDatabase } from './stores.js';
import { kolmogorovSmirnov, median, shuffled } from './timing-statistics.js';

const { values: args } = parseArgs({
  options: { requests: { type: 'string', default: '100' }, 'smtp-down': { type: 'boolean', default: false }, 'database-url': { type: 'string' } },
});
const REQUESTS = Number(args.requests);
const PASSWORD = 'correct horse battery staple 42';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One browser: the CSRF cookie and the token of a form page, reused for every POST. */
async function formSession(base: string, page: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${base}${page}`);
  const cookie = response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  const csrf = /name="csrf" value="([^"]+)"/.exec(await response.text())?.[1];
  if (!csrf) throw new Error(`no CSRF token on ${page}`);
  return { cookie, csrf };
}

async function timedPost(base: string, page: string, session: { cookie: string; csrf: string }, fields: Record<string, string>): Promise<number> {
  const body = new URLSearchParams({ csrf: session.csrf, ...fields });
  const started = process.hrtime.bigint();
  const response = await fetch(`${base}${page}`, {
    method: 'POST', body, redirect: 'manual', headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
  });
  await response.arrayBuffer();
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  // Any other answer tells the addresses apart by itself; it is counted, not hidden.
  if (response.status !== 303) otherAnswers.set(`${page} ${response.status}`, (otherAnswers.get(`${page} ${response.status}`) ?? 0) + 1);
  return elapsedMs;
}

const otherAnswers = new Map<string, number>();

async function measure(label: string, run: (known: boolean, index: number) => Promise<number>) {
  const order = shuffled([...Array<boolean>(REQUESTS).fill(true), ...Array<boolean>(REQUESTS).fill(false)]);
  for (let i = 0; i < 10; i += 1) await run(i % 2 === 0, -1 - i);
  const known: number[] = [];
  const unknown: number[] = [];
  for (const [index, isKnown] of order.entries()) (isKnown ? known : unknown).push(await run(isKnown, index));
  const { d, p } = kolmogorovSmirnov(known, unknown);
  return { page: label, knownMedianMs: median(known), unknownMedianMs: median(unknown), deltaMs: median(known) - median(unknown), ksD: d, ksP: p };
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-timing-'));
const database = args['database-url'] ? await createBenchDatabase(args['database-url']) : undefined;
const settingsFile = path.join(dataDir, 'settings.json');
const wide = { points: 1_000_000_000, windowSeconds: 60 };
writeFileSync(settingsFile, JSON.stringify({
  rateLimits: { registrationPerIp: wide },
  passwordReset: { requestLimits: { perAddress: wide, perIp: wide } },
  emailVerification: { resendLimits: { perAddress: wide, perIp: wide } },
}));
const port = await closedPort();
const config = loadConfig({
  env: {
    NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', ISSUER: 'http://127.0.0.1:3999', DATA_DIR: dataDir,
    ENCRYPTION_KEY: randomBytes(32).toString('base64url'), COOKIE_SECRETS: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'silent', SETTINGS_FILE: settingsFile,
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...(args['smtp-down'] ? { SMTP_URL: `smtp://127.0.0.1:${port}/?requireTLS=false` } : {}),
  },
});
const running = await startServer(config);
try {
  const base = running.url;
  const knownEmail = 'known.person@example.test';
  const unverifiedEmail = 'unverified.person@example.test';
  await running.context.users.create({ email: knownEmail, name: 'Known Person', password: PASSWORD, emailVerified: true });
  await running.context.users.create({ email: unverifiedEmail, name: 'Unverified Person', password: PASSWORD, emailVerified: false });
  const unknown = (index: number) => `nobody.${index}.${randomBytes(3).toString('hex')}@example.test`;

  const forgot = await formSession(base, '/account/forgot-password');
  const resend = await formSession(base, '/account/verify-email/resend');
  const register = await formSession(base, '/account/register');
  const rows = [
    await measure('forgot password', (known, index) => timedPost(base, '/account/forgot-password', forgot, { email: known ? knownEmail : unknown(index) })),
    await measure('resend verification', (known, index) => timedPost(base, '/account/verify-email/resend', resend, { email: known ? unverifiedEmail : unknown(index) })),
    await measure('registration', (known, index) => timedPost(base, '/account/register', register, {
      email: known ? knownEmail : unknown(index), name: 'Someone', password: PASSWORD,
    })),
  ];
  console.log(`${REQUESTS} + ${REQUESTS} requests, ${database ? 'Postgres' : 'PGlite'}, mail: ${args['smtp-down'] ? 'SMTP at a closed port' : 'outbox'}`);
  console.table(rows.map((row) => ({
    page: row.page,
    'existing median ms': row.knownMedianMs.toFixed(2),
    'unknown median ms': row.unknownMedianMs.toFixed(2),
    'Δ median ms': row.deltaMs.toFixed(2),
    'KS D': row.ksD.toFixed(3),
    'KS p': row.ksP.toExponential(2),
  })));
  if (otherAnswers.size > 0) console.log('answers other than 303:', Object.fromEntries(otherAnswers));
} finally {
  await running.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
