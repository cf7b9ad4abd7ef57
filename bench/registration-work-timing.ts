// Whether registration's own work, apart from the password hash, takes longer for a taken address
// than for a new one (ASVS 5.0 V6.3.8). The argon2 hash is the same for both by design and is by
// far the noisiest part of the answer time on a busy machine, so here it is computed once and
// reused; what is timed is the rest of registration.register() (rate limit, insert or owner,
// audit row, queued mail), interleaved in random order, in process, against a fresh database.
// bench/account-page-timing.ts measures whole answers over HTTP, hash included.
//
//   npx tsx bench/registration-work-timing.ts [--requests 300] [--database-url postgres://…]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { composeServices } from '../src/compose.js';
import { createLogger } from '../src/logger.js';
import { createRegistrationService } from '../src/services/registration.js';
import { createPoolDatabase } from '../src/storage/db.js';
import { startEmbeddedPostgres } from '../src/storage/embedded.js';
import { migrate } from '../src/storage/migrate.js';
import { createBenchDatabase } from './stores.js';
import { kolmogorovSmirnov, median, shuffled } from './timing-statistics.js';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '300' }, 'database-url': { type: 'string' } } });
const REQUESTS = Number(args.requests);
const PASSWORD = 'correct horse battery staple 42';
const TAKEN = 'known.person@example.test';
const pool = { poolSize: 10, statementTimeoutMs: 5000, connectionTimeoutMs: 5000 };

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-registration-work-'));
const server = args['database-url'] ? await createBenchDatabase(args['database-url']) : undefined;
const database = server
  ? createPoolDatabase({ ...pool, connectionString: server.url })
  : (await startEmbeddedPostgres({ ...pool, dataDir: path.join(dataDir, 'pg') })).database;
try {
  await migrate(database);
  const config = loadConfig({
    env: {
      NODE_ENV: 'test', ISSUER: 'http://127.0.0.1:3999', DATA_DIR: dataDir, LOG_LEVEL: 'silent',
      ENCRYPTION_KEY: randomBytes(32).toString('base64url'), COOKIE_SECRETS: randomBytes(32).toString('base64url'),
    },
  });
  const services = await composeServices(config, { database, redis: undefined }, createLogger('silent'));
  await services.users.create({ email: TAKEN, name: 'Known Person', password: PASSWORD, emailVerified: true });
  const hashed = await services.users.prepare({ email: TAKEN, name: 'Someone', password: PASSWORD, emailVerified: false });
  const registration = createRegistrationService({
    ...services,
    users: { ...services.users, prepare: async (input) => ({ ...hashed, email: input.email.trim() }) },
    perIp: { points: 1_000_000_000, windowSeconds: 60 },
    issuer: config.issuer,
    policy: 'open',
  });
  const origin = { ip: '127.0.0.1', userAgent: 'registration-work-timing' };
  const register = async (taken: boolean, index: number): Promise<number> => {
    const email = taken ? TAKEN : `nobody.${index}.${randomBytes(3).toString('hex')}@example.test`;
    const started = process.hrtime.bigint();
    await registration.register({ email, name: 'Someone', password: PASSWORD }, origin);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  for (let i = 0; i < 20; i += 1) await register(i % 2 === 0, -1 - i);
  const taken: number[] = [];
  const free: number[] = [];
  for (const [index, isTaken] of shuffled([...Array<boolean>(REQUESTS).fill(true), ...Array<boolean>(REQUESTS).fill(false)]).entries()) {
    (isTaken ? taken : free).push(await register(isTaken, index));
  }
  const { d, p } = kolmogorovSmirnov(taken, free);
  console.log(`${REQUESTS} + ${REQUESTS} registrations without the hash, ${server ? 'Postgres' : 'PGlite'}`);
  console.table([{
    'taken median ms': median(taken).toFixed(2), 'new median ms': median(free).toFixed(2),
    'Δ median ms': (median(taken) - median(free)).toFixed(2), 'KS D': d.toFixed(3), 'KS p': p.toExponential(2),
  }]);
  await services.close();
} finally {
  await database.close();
  await server?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
