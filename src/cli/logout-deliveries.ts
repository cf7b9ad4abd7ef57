// `gatehouse logout-deliveries [list|retry]`: for each client, how the back-channel logout notices
// of a period fared (pending, delivered, failed, with the last error); the deliveries one by one;
// and a failed one put back in the queue once its app is fixed.
import { parseWhen } from '../services/time-window.js';
import type { LogoutDeliveryRow } from '../storage/repositories/logout-deliveries.js';
import { parseFlags, printTable, requireFlag, UsageError, type CliIo, type Command } from './args.js';

const SINCE_HELP = '--since WHEN   from: 30m, 1h, 7d before now, or an ISO 8601 date or time (default 24h)';

function sinceOf(command: Command, text: string | undefined): Date {
  const value = text ?? '24h';
  const since = parseWhen(value, new Date());
  if (!since) throw new UsageError(`${command.name}: --since "${value}" is not a time (use 30m, 1h, 7d or an ISO date such as 2026-01-31)`);
  return since;
}

export const logoutDeliveriesCommand: Command = {
  name: 'logout-deliveries',
  summary: 'show back-channel logout deliveries per client',
  help: `Usage: gatehouse logout-deliveries [--since WHEN] [--json]
       gatehouse logout-deliveries list|retry --help

For each client, the back-channel logout notices queued in the period: how many are still pending
(being retried with backoff), delivered, or failed for good, with the last error and attempt.
\`logout-deliveries list\` shows them one by one; \`logout-deliveries retry\` queues a failed one again.

Options:
  ${SINCE_HELP}
  --json         one JSON object per line instead of a table`,
  async run(argv, io) {
    const flags = parseFlags(this, { since: { type: 'string' }, json: { type: 'boolean' } }, argv);
    const since = sinceOf(this, flags.since);
    const { withSession } = await import('./session.js');
    const rows = await withSession(({ context }) => context.logoutDeliveryAdmin.summary(since));
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

async function printDeliveries(io: CliIo, json: boolean, deliveries: LogoutDeliveryRow[]): Promise<void> {
  if (json) {
    const { deliveryJson } = await import('../http/delivery-json.js');
    for (const delivery of deliveries) io.stdout(`${JSON.stringify(deliveryJson(delivery))}\n`);
    return;
  }
  if (deliveries.length === 0) {
    io.stdout('no back-channel logout deliveries\n');
    return;
  }
  printTable(io, ['ID', 'CREATED', 'CLIENT', 'STATUS', 'ATTEMPTS', 'REASON', 'LAST ERROR'], deliveries.map((row) => [
    row.id, row.createdAt.toISOString(), row.clientId, row.status, String(row.attempts), row.reason, row.lastError ?? '-',
  ]));
}

export const logoutDeliveriesListCommand: Command = {
  name: 'logout-deliveries list',
  summary: 'list back-channel logout deliveries one by one',
  help: `Usage: gatehouse logout-deliveries list [--status pending|delivered|failed] [--client ID] [--since WHEN] [--json]

Lists the deliveries queued in the period, newest first (at most 200): id, when, client, status,
attempts, why the session ended and the last error. Use an id with \`logout-deliveries retry\`.

Options:
  --status S     only pending, delivered or failed deliveries
  --client ID    only this client's
  ${SINCE_HELP}
  --json         one JSON object per line instead of a table`,
  async run(argv, io) {
    const flags = parseFlags(this, { status: { type: 'string' }, client: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' } }, argv);
    const since = sinceOf(this, flags.since);
    const { DELIVERY_STATUSES, MAX_DELIVERY_PAGE } = await import('../services/logout-delivery-admin.js');
    if (flags.status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(flags.status)) {
      throw new UsageError(`${this.name}: --status must be one of ${DELIVERY_STATUSES.join(', ')}`);
    }
    const { withSession } = await import('./session.js');
    const page = await withSession(({ context }) => context.logoutDeliveryAdmin.list({
      status: flags.status as (typeof DELIVERY_STATUSES)[number] | undefined, clientId: flags.client, since, limit: MAX_DELIVERY_PAGE,
    }));
    await printDeliveries(io, flags.json ?? false, page.deliveries);
  },
};

export const logoutDeliveriesRetryCommand: Command = {
  name: 'logout-deliveries retry',
  summary: 'queue a failed back-channel logout delivery again',
  help: `Usage: gatehouse logout-deliveries retry --delivery ID

Puts a delivery that failed for good back in the queue, due now, with its retries started over
(for instance once the app's back-channel logout endpoint is fixed). The running servers send it at
their next poll. Audited. Find ids with \`gatehouse logout-deliveries list --status failed\`.`,
  async run(argv, io) {
    const flags = parseFlags(this, { delivery: { type: 'string' } }, argv);
    const id = requireFlag(this, flags.delivery, '--delivery');
    const { withSession } = await import('./session.js');
    const delivery = await withSession(({ context }) => context.logoutDeliveryAdmin.retry(id, 'admin-cli'));
    io.stdout(`queued delivery ${delivery.id} to ${delivery.clientId} again\n`);
  },
};
