// `gatehouse migrate`: applies pending migrations (every command does; this one only reports).
import { parseFlags, type Command } from './args.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations',
  help: `Usage: gatehouse migrate

Applies every pending migration in migrations/ under an advisory lock and prints what it applied.
Safe to run at any time, also while the server runs (it then goes through the server).
Every other command migrates first as well, so a fresh DATA_DIR needs no separate step.`,
  async run(argv, io) {
    parseFlags(this, {}, argv);
    const { withSession } = await import('./session.js');
    await withSession(async ({ storage, appliedMigrations }) => {
      for (const name of appliedMigrations) io.stdout(`applied ${name}\n`);
      io.stdout(`database schema is up to date (${storage})\n`);
    });
  },
};
