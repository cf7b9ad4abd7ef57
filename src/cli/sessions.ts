// `gatehouse sessions list|revoke` (issue 8): an operator sees where a person is signed in and
// throws a session — or all of them — out, with back-channel logout to the apps and an audit row
// per session (session.ended, reason admin). `gatehouse logout-deliveries` shows, per client, how
// the back-channel logout notices of a period fared. Deliveries are sent by the running servers;
// this command only queues them.
import { isSessionUid, type AccountSessionRow } from '../storage/repositories/account-sessions.js';
import type { SessionEnder } from '../oidc/session-ending.js';
import type { AppContext } from '../context.js';
import { parseWhen } from './audit.js';
import { parseFlags, printTable, requireFlag, UsageError, type Command } from './args.js';
import { checkEmailFlag } from './user-by-email.js';

interface SessionTools {
  context: AppContext;
  sessionEnder: SessionEnder;
}

/** The CLI's own provider over the same stores (Redis too), as the server builds it, without the outbox worker. */
async function withSessionTools<T>(fn: (tools: SessionTools) => Promise<T>): Promise<T> {
  const { withSession } = await import('./session.js');
  const [{ createProviderFor }, { createSessionServices }, { createRenderer }, { PROJECT_ROOT }, path] = await Promise.all([
    import('../app.js'), import('../session-services.js'), import('../http/render.js'), import('../config.js'), import('node:path'),
  ]);
  return withSession(async ({ context }) => {
    const renderer = createRenderer({ viewsDir: path.join(PROJECT_ROOT, 'views'), cache: false });
    const hooks = {};
    const provider = await createProviderFor(context, renderer, hooks);
    const services = await createSessionServices(context, provider, hooks, { deliver: false });
    try {
      return await fn({ context, sessionEnder: services.sessionEnder });
    } finally {
      await services.close();
    }
  });
}

async function sessionsOf(context: AppContext, email: string): Promise<AccountSessionRow[]> {
  const { listAccountSessions } = await import('../storage/repositories/account-sessions.js');
  const user = await context.users.requireByEmail(email);
  return listAccountSessions(context.database, user.id);
}


export const sessionsListCommand: Command = {
  name: 'sessions list',
  summary: "list where a user is signed in",
  help: `Usage: gatehouse sessions list --email E [--json]

Lists the user's signed-in sessions, newest first: the session's id for \`sessions revoke
--session\`, when it signed in and was last seen, from which address and browser, whether it is
remembered, and the apps it signed in to.

Options:
  --email E   the user's sign-in email address (required)
  --json      one JSON object per line instead of a table`,
  async run(argv, io) {
    const flags = parseFlags(this, { email: { type: 'string' }, json: { type: 'boolean' } }, argv);
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    const { withSession } = await import('./session.js');
    const { deviceLabel } = await import('../http/device-label.js');
    const rows = await withSession(({ context }) => sessionsOf(context, email));
    if (flags.json) {
      const { sessionJson } = await import('../http/session-json.js');
      for (const row of rows) io.stdout(`${JSON.stringify(sessionJson(row))}\n`);
      return;
    }
    if (rows.length === 0) {
      io.stdout(`<${email}> is not signed in anywhere\n`);
      return;
    }
    printTable(io, ['SESSION', 'SIGNED IN', 'LAST SEEN', 'IP', 'DEVICE', 'REMEMBERED', 'CLIENTS'], rows.map((row) => [
      row.sessionUid, row.loginAt?.toISOString() ?? '-', row.lastSeenAt.toISOString(), row.ip ?? '-', deviceLabel(row.userAgent),
      row.remembered ? 'yes' : 'no', row.clientIds.join(',') || '-',
    ]));
  },
};

export const sessionsRevokeCommand: Command = {
  name: 'sessions revoke',
  summary: "sign a user out: one session or all of them",
  help: `Usage: gatehouse sessions revoke --email E (--all | --session ID)

Ends the user's sessions at Gatehouse: with --all every one of them, with --session only the one
named (find it with \`gatehouse sessions list --email E\`). Each app the session signed in to with a
backchannel_logout_uri is sent a logout token (by the running servers; see \`gatehouse
logout-deliveries\`); grants end as the client's sessions.revokeRefreshTokensOnEnd says. Each end
is recorded in the audit trail (session.ended, reason admin). The user can sign in again: to keep
them out, also disable the account or reset the password.

Options:
  --email E      the user's sign-in email address (required)
  --all          every session of the user
  --session ID   one session, by the id \`sessions list\` shows`,
  async run(argv, io) {
    const flags = parseFlags(this, { email: { type: 'string' }, all: { type: 'boolean' }, session: { type: 'string' } }, argv);
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    if (flags.all && flags.session !== undefined) throw new UsageError(`${this.name}: give either --all or --session, not both`);
    if (!flags.all && flags.session === undefined) {
      throw new UsageError(`${this.name}: --all or --session ID is required (list the sessions with \`gatehouse sessions list --email ${email}\`)`);
    }
    if (flags.session !== undefined && !isSessionUid(flags.session)) throw new UsageError(`${this.name}: --session "${flags.session}" is not a session id`);
    const ended = await withSessionTools(async ({ context, sessionEnder }) => {
      const rows = await sessionsOf(context, email);
      const chosen = flags.all ? rows : rows.filter((row) => row.sessionUid === flags.session);
      if (!flags.all && chosen.length === 0) {
        const { NotFoundError } = await import('../errors.js');
        throw new NotFoundError(`<${email}> has no session ${flags.session ?? ''}`);
      }
      return sessionEnder.endSessions(chosen.map((row) => row.sessionId), 'admin', 'admin-cli');
    });
    const notified = new Set(ended.flatMap((session) => session.clientIds));
    io.stdout(ended.length === 0
      ? `<${email}> was not signed in anywhere\n`
      : `ended ${ended.length} session${ended.length === 1 ? '' : 's'} of <${email}>; apps signed in through them: ${notified.size}\n`);
  },
};

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
