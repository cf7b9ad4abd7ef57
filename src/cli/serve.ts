// `gatehouse serve`: the HTTP server (what `npm start` runs).
import { parseFlags, type Command } from './args.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'start the identity provider',
  help: `Usage: gatehouse serve

Starts Gatehouse on HOST:PORT (default localhost:3000) with ISSUER (default http://localhost:PORT).
Without DATABASE_URL it owns the embedded database in DATA_DIR (default ./data) and serves it on a
local socket in DATA_DIR/run, so other gatehouse commands keep working while it runs; a second
server on the same DATA_DIR refuses to start. Stops cleanly on SIGTERM or SIGINT.`,
  async run(argv) {
    parseFlags(this, {}, argv);
    // Refuse a taken data directory before loading the provider, whose import-time notices would
    // break the one-line answer. The lock taken when the database opens stays the real guard.
    const { loadConfig } = await import('../config.js');
    const { DataDirectoryBusyError, dataDirectoryOwner } = await import('../storage/embedded.js');
    const config = loadConfig();
    const owner = config.databaseUrl ? undefined : dataDirectoryOwner(config.dataDir);
    if (owner !== undefined) throw new DataDirectoryBusyError(`data directory ${config.dataDir} is in use by process ${owner}`);
    // Imported here so that --help never loads the provider or argon2.
    const { runServer } = await import('../main.js');
    await runServer();
  },
};
