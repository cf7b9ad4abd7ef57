// `gatehouse keys list`: the token signing keys, public facts only.
import { parseFlags, type Command } from './args.js';

export const keysListCommand: Command = {
  name: 'keys list',
  summary: 'list token signing keys',
  help: `Usage: gatehouse keys list [--json]

Lists the token signing keys (kid, algorithm, status, creation time); private keys are never shown.
The server creates the keys on its first start, so a fresh DATA_DIR has none yet.

Options:
  --json   print a JSON array instead of a table`,
  async run(argv, io) {
    const flags = parseFlags(this, { json: { type: 'boolean' } }, argv);
    const { withSession } = await import('./session.js');
    const keys = await withSession(({ context }) => context.signingKeys.list());
    if (flags.json) {
      io.stdout(`${JSON.stringify(keys.map((k) => ({ kid: k.kid, alg: k.alg, status: k.status, created_at: k.createdAt.toISOString() })), null, 2)}\n`);
      return;
    }
    if (keys.length === 0) {
      io.stdout('no signing keys yet; the server creates them on its first start\n');
      return;
    }
    for (const key of keys) io.stdout(`${key.kid}  ${key.alg.padEnd(6)} ${key.status.padEnd(8)} ${key.createdAt.toISOString()}\n`);
  },
};
