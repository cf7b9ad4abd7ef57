// Chooses the database for a process: a Postgres server when DATABASE_URL is set, otherwise the
// embedded PGlite in DATA_DIR — owned by this process, or reached through its running owner.
import type { Config } from '../config.js';
import { createPoolDatabase, type Database } from './db.js';
import { connectToRunningServer, dataDirectoryOwner, startEmbeddedPostgres } from './embedded.js';

export interface OpenedDatabase {
  database: Database;
  description: string;
}

export async function openDatabase(config: Config, role: 'owner' | 'client'): Promise<OpenedDatabase> {
  const { poolSize, statementTimeoutMs, connectionTimeoutMs } = config.settings.database;
  if (config.databaseUrl) {
    return {
      database: createPoolDatabase({ connectionString: config.databaseUrl, poolSize, statementTimeoutMs, connectionTimeoutMs }),
      description: 'postgres (DATABASE_URL)',
    };
  }
  const owner = dataDirectoryOwner(config.dataDir);
  if (role === 'client' && owner !== undefined && owner !== process.pid) {
    return {
      database: connectToRunningServer(config.dataDir, { poolSize: 2, statementTimeoutMs, connectionTimeoutMs }),
      description: `embedded postgres served by process ${owner}`,
    };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, poolSize, statementTimeoutMs, connectionTimeoutMs });
  return { database: embedded.database, description: `embedded postgres in ${config.dataDir}` };
}
