// What every database command does first: read the config, open the database (through a running
// server when one owns DATA_DIR), migrate, open Redis when REDIS_URL is set, and build the same
// services the server uses (compose.ts) — so counters and sessions the CLI touches are the server's own.
import { loadConfig, type Config } from '../config.js';
import { composeServices, type Services } from '../compose.js';
import { createLogger } from '../logger.js';
import { migrate } from '../storage/migrate.js';
import { openDatabase } from '../storage/open.js';
import { openRedis } from '../storage/open-redis.js';
import { closeRedis } from '../storage/redis.js';
import { markSecret } from './args.js';

export interface Session {
  context: Services;
  /** Where the data lives, for messages; never includes a credential. */
  storage: string;
  appliedMigrations: string[];
}

export async function withSession<T>(fn: (session: Session) => Promise<T>): Promise<T> {
  const config = loadConfig();
  secretsOf(config).forEach(markSecret);
  const { database, description } = await openDatabase(config, 'client');
  try {
    const appliedMigrations = await migrate(database).catch((error: unknown) => {
      // The owner holds the lock from the moment it starts but serves the socket only once
      // PGlite is up; say so rather than print a bare ENOENT.
      const code = (error as NodeJS.ErrnoException).code;
      if (description.includes('served by') && (code === 'ENOENT' || code === 'ECONNREFUSED')) {
        throw new Error(`cannot reach the database of the Gatehouse server that owns ${config.dataDir} (${description}); if it is starting, try again`, { cause: error });
      }
      throw error;
    });
    // The CLI reports outcomes itself; server-style logs on stdout would corrupt --json output.
    const logger = createLogger('silent');
    const redis = await openRedis(config, logger);
    try {
      const context = await composeServices(config, { database, redis }, logger);
      try {
        return await fn({ context, storage: description, appliedMigrations });
      } finally {
        await context.close();
      }
    } finally {
      if (redis) await closeRedis(redis);
    }
  } finally {
    await database.close();
  }
}

/** Configured secrets, so that an error quoting one (a driver's, say) is redacted before printing. */
function secretsOf(config: Config): string[] {
  const secrets = [config.encryptionKey, ...config.cookieSecrets];
  let password = '';
  try {
    password = config.databaseUrl ? new URL(config.databaseUrl).password : '';
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    if (password) secrets.push(password);
  }
  return secrets;
}
