// `gatehouse logout-deliveries`: for each client, how the back-channel logout notices of a period
// fared (pending, delivered, failed, with the last error).
import { parseWhen } from './audit.js';
import { parseFlags, printTable, UsageError, type Command } from './args.js';

export const logoutDeliveriesCommand: Command = {
  name: 'logout-deliveries',
  summary: 'show back-channel logout deliveries per client',
  help: `Usage: gatehouse logout-deliveries [--since WHEN] [--json]

For each client, the back-channel logout notices queued in the period: how many are still pending
(being retried with backoff), delivered, or failed for good, with the last error and attempt.

Options:
  --since WHEN   from: 30m, 1h, 7d before now, or an ISO 8601 date or time (default 24h)
  --json         one JSON object per line instead of a table`,
  async run(argv, io) {
    const flags = parseFlags(this, { since: { type: 'string' }, json: { type: 'boolean' } }, argv);
    const sinceText = flags.since ?? '24h';
    const since = parseWhen(sinceText, new Date());
    if (!since) throw new UsageError(`${this.name}: --since "${sinceText}" is not a time (use 30m, 1h, 7d or an ISO date such as 2026-01-31)`);
    const { withSession } = await import('./session.js');
    const { summarizeLogoutDeliveries } = await import('../storage/repositories/logout-deliveries.js');
    const rows = await withSession(({ context }) => summarizeLogoutDeliveries(context.database, since));
    if (flags.json) {
      for (const row of rows) {
        io.stdout(`${JSON.stringify({
          client_id: row.clientId, pending: row.pending, delivered: row.delivered, failed: row.failed,
          last_error: row.lastError, last_attempt_at: row.lastAttemptAt?.toISOString() ?? null,
        })}\n`);
      }
      return;
    }
    if (rows.length === 0) {
      io.stdout(`no back-channel logout deliveries since ${since.toISOString()}\n`);
      return;
    }
    printTable(io, ['CLIENT', 'PENDING', 'DELIVERED', 'FAILED', 'LAST ATTEMPT', 'LAST ERROR'], rows.map((row) => [
      row.clientId, String(row.pending), String(row.delivered), String(row.failed), row.lastAttemptAt?.toISOString() ?? '-', row.lastError ?? '-',
    ]));
  },
};
