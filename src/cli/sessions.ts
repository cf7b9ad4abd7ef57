// `gatehouse sessions list|revoke`: an operator sees where a person is signed in and
// throws a session — or all of them — out, with back-channel logout to the apps and an audit row
// per session (session.ended, reason admin). Deliveries are sent by the running servers; this
// command only queues them (`gatehouse logout-deliveries` shows how they fared).
import { parseFlags, printTable, requireFlag, UsageError, type Command } from './args.js';
import { checkEmailFlag, withUserByEmail } from './user-by-email.js';

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
    const { deviceLabel } = await import('../http/device-label.js');
    const rows = await withUserByEmail(email, (context, user) => context.sessions.list(user.id));
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
  help: `Usage: gatehouse sessions revoke --email E (--all [--revoke-grants] | --session ID)

Ends the user's sessions at Gatehouse: with --all every one of them, with --session only the one
named (find it with \`gatehouse sessions list --email E\`). Each app the session signed in to with a
backchannel_logout_uri is sent a logout token (by the running servers; see \`gatehouse
logout-deliveries\`); grants end as the client's sessions.revokeRefreshTokensOnEnd says, so an app
granted offline_access keeps its refresh token. Each end is recorded in the audit trail
(session.ended, reason admin).

With --revoke-grants (and --all) every grant of the user is revoked too, offline_access ones
included, with every access and refresh token issued under it: for an account that may be
compromised. The user can sign in again: to keep them out, also disable the account or reset the
password.

Options:
  --email E          the user's sign-in email address (required)
  --all              every session of the user
  --revoke-grants    with --all: also revoke every grant and token, offline ones included
  --session ID       one session, by the id \`sessions list\` shows`,
  async run(argv, io) {
    const flags = parseFlags(this, {
      email: { type: 'string' }, all: { type: 'boolean' }, session: { type: 'string' }, 'revoke-grants': { type: 'boolean' },
    }, argv);
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    if (flags.all && flags.session !== undefined) throw new UsageError(`${this.name}: give either --all or --session, not both`);
    if (!flags.all && flags.session === undefined) {
      throw new UsageError(`${this.name}: --all or --session ID is required (list the sessions with \`gatehouse sessions list --email ${email}\`)`);
    }
    if (flags['revoke-grants'] && !flags.all) throw new UsageError(`${this.name}: --revoke-grants goes with --all (grants belong to the account, not to one session)`);
    const { isSessionUid } = await import('../services/sessions.js');
    if (flags.session !== undefined && !isSessionUid(flags.session)) throw new UsageError(`${this.name}: --session "${flags.session}" is not a session id`);
    const { ended, grants } = await withUserByEmail(email, async (context, user) => {
      const by = { by: 'admin-cli' };
      if (flags['revoke-grants']) {
        const revoked = await context.revokeAccountTokens(user.id, { reason: 'admin', ...by });
        await context.audit.record({
          type: 'admin.user_changed', outcome: 'success', accountId: user.id, email: user.email,
          detail: { action: 'grants_revoked', grants: revoked.grants, sessions: revoked.sessions.length, ...by },
        });
        return { ended: revoked.sessions, grants: revoked.grants };
      }
      if (flags.all) return { ended: await context.sessions.endAll(user.id, 'admin', by), grants: undefined };
      const one = await context.sessions.endByUid(user.id, flags.session ?? '', 'admin', by);
      if (one === 'not-found') {
        const { NotFoundError } = await import('../errors.js');
        throw new NotFoundError(`<${email}> has no session ${flags.session ?? ''}`);
      }
      return { ended: [one], grants: undefined };
    });
    const notified = new Set(ended.flatMap((session) => session.clientIds));
    io.stdout(ended.length === 0
      ? `<${email}> was not signed in anywhere\n`
      : `ended ${ended.length} session${ended.length === 1 ? '' : 's'} of <${email}>; apps signed in through them: ${notified.size}\n`);
    if (grants !== undefined) io.stdout(`revoked ${grants} grant${grants === 1 ? '' : 's'} of <${email}> with every access and refresh token issued under them\n`);
  },
};
