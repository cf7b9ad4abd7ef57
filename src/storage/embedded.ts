// Embedded Postgres (PGlite) for installs with no database server.
//
// PGlite admits one process, so exactly one Gatehouse process owns a data directory (guarded by
// a pid lock file) and serves the database on a Unix socket inside it. The owner itself and any
// CLI run talk to the database through that socket with an ordinary pg Pool; the socket server
// (pglite-socket-server.ts) keeps each connection's exchange and transaction whole.
import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPoolDatabase, type Database } from './db.js';
import { servePGliteOnSocket, type PGliteSocketServer } from './pglite-socket-server.js';

const SOCKET_PORT = 5432;
const MAX_UNIX_SOCKET_PATH = 103;

export class DataDirectoryBusyError extends Error {
  override name = 'DataDirectoryBusyError';
}

interface PoolSettings { poolSize: number; statementTimeoutMs: number; connectionTimeoutMs: number }

export function socketDirectory(dataDir: string): string {
  return path.join(dataDir, 'run');
}

function lockFile(dataDir: string): string {
  return path.join(dataDir, 'gatehouse.pid');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the live process that owns dataDir, if any. */
export function dataDirectoryOwner(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockFile(dataDir), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function acquireLock(dataDir: string): () => void {
  const file = lockFile(dataDir);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => {
        try { unlinkSync(file); } catch { /* already gone */ }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = dataDirectoryOwner(dataDir);
      if (owner !== undefined) {
        throw new DataDirectoryBusyError(`data directory ${dataDir} is in use by process ${owner}`);
      }
      // A crashed owner left its lock behind.
      try { unlinkSync(file); } catch { /* raced with another starter */ }
    }
  }
  throw new DataDirectoryBusyError(`data directory ${dataDir} is being opened by another process`);
}

export interface EmbeddedOptions extends PoolSettings {
  /** Where PGlite keeps its files and the socket lives. */
  dataDir: string;
  /** Keep the database in memory (tests); the socket still lives in dataDir. */
  inMemory?: boolean;
  /** A PGlite data-directory dump to start from, so tests skip initdb. */
  loadDataDir?: Blob;
}

export interface EmbeddedPostgres {
  database: Database;
  socketDir: string;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const socketDir = socketDirectory(options.dataDir);
  const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (socketPath.length > MAX_UNIX_SOCKET_PATH) {
    throw new Error(`DATA_DIR is too long for a local socket (${socketPath.length} characters); choose a shorter path`);
  }
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  chmodSync(socketDir, 0o700);
  const releaseLock = acquireLock(options.dataDir);
  let pglite: PGlite | undefined;
  let server: PGliteSocketServer | undefined;
  try {
    if (existsSync(socketPath)) unlinkSync(socketPath);
    pglite = await PGlite.create({
      dataDir: options.inMemory ? undefined : path.join(options.dataDir, 'pgdata'),
      loadDataDir: options.loadDataDir,
    });
    server = await servePGliteOnSocket(pglite, socketPath, options.poolSize + 8);
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await pglite?.close().catch(() => undefined);
    releaseLock();
    throw error;
  }
  const ownedServer = server;
  const ownedPglite = pglite;
  const database = createPoolDatabase(
    { ...poolSettings(options), host: socketDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' },
    async () => {
      await ownedServer.stop();
      await ownedPglite.close();
      releaseLock();
    },
  );
  return { database, socketDir };
}

/** A connection to the database served by the process that owns dataDir. */
export function connectToRunningServer(dataDir: string, settings: PoolSettings): Database {
  return createPoolDatabase({
    ...poolSettings(settings), host: socketDirectory(dataDir), port: SOCKET_PORT, user: 'postgres', database: 'postgres',
  });
}

function poolSettings(settings: PoolSettings): PoolSettings {
  return { poolSize: settings.poolSize, statementTimeoutMs: settings.statementTimeoutMs, connectionTimeoutMs: settings.connectionTimeoutMs };
}
