// `gatehouse audit`: what happened, to whom, from where — the audit trail, newest first, a page
// at a time. Every filter is checked before the database is opened.
import type { AuditEvent, AuditEventType, AuditQuery } from '../services/audit.js';
import { auditEventJson } from '../http/audit-json.js';
import { parseWhen } from '../services/time-window.js';
import { checkInput, parseFlags, printTable, UsageError, type CliIo, type Command } from './args.js';

const options = {
  email: { type: 'string' },
  account: { type: 'string' },
  type: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const DEFAULT_SINCE = '24h';
const DEFAULT_LIMIT = 50;

/** An argument as a POSIX shell reads it back. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The same query from the next cursor on, with --since as an absolute time so the window stays put. */
function nextPageCommand(query: AuditQuery, cursor: string, json: boolean): string {
  const words = ['gatehouse', 'audit'];
  const add = (flag: string, value: string | undefined) => { if (value !== undefined) words.push(flag, value); };
  add('--email', query.email);
  add('--account', query.accountId);
  add('--type', query.type);
  add('--since', query.since.toISOString());
  add('--until', query.until?.toISOString());
  add('--limit', String(query.limit));
  add('--before', cursor);
  if (json) words.push('--json');
  return words.map(shellWord).join(' ');
}

function detailText(detail: AuditEvent['detail']): string {
  return Object.entries(detail).map(([key, value]) => `${key}=${String(value)}`).join(' ');
}

function printEventTable(io: CliIo, events: AuditEvent[]): void {
  if (events.length === 0) {
    io.stdout('no audit events\n');
    return;
  }
  printTable(io, ['TIME', 'TYPE', 'OUTCOME', 'ACCOUNT', 'CLIENT', 'IP', 'DETAIL'], events.map((e) => [
    e.occurredAt.toISOString(), e.type, e.outcome, e.accountId ?? '-', e.clientId ?? '-', e.ip ?? '-', detailText(e.detail),
  ]));
}

function printJson(io: CliIo, events: AuditEvent[]): void {
  for (const e of events) {
    io.stdout(`${JSON.stringify(auditEventJson(e))}\n`);
  }
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'list audit events (sign-ins, tokens, account changes)',
  help: `Usage: gatehouse audit [--email E] [--account ID] [--type T] [--since WHEN] [options]

Lists audit events, newest first: time, type, outcome, account, client, IP and details. When more
events match than fit a page, the command for the next page is printed on stderr.

Options:
  --email E       events naming this address, and events of the account that has it now
  --account ID    events of this account id
  --type T        one event type, e.g. login.failure, token.issued, password.reset
  --since WHEN    from: 30m, 24h, 7d before now, or an ISO 8601 date or time such as 2026-01-31
                  or 2026-01-31T09:00 (UTC unless an offset is given); default ${DEFAULT_SINCE}
  --until WHEN    up to (not including) this time, in the same forms
  --limit N       events per page, 1 to 1000 (default ${DEFAULT_LIMIT})
  --before C      the next page after the one that printed this cursor
  --json          one JSON object per line instead of a table

Event types: login.success, login.failure, registration, email.verified, password.reset_requested,
password.reset, consent.granted, token.issued, token.revoked, logout, and more (see README).`,
  async run(argv, io) {
    const flags = parseFlags(this, options, argv);
    const now = new Date();
    const when = (flag: 'since' | 'until', value: string): Date => {
      const time = parseWhen(value, now);
      if (!time) throw new UsageError(`${this.name}: --${flag} "${value}" is not a time (use 30m, 24h, 7d or an ISO date such as 2026-01-31)`);
      return time;
    };
    const limitText = flags.limit ?? String(DEFAULT_LIMIT);
    const query: AuditQuery = {
      email: flags.email,
      accountId: flags.account,
      type: flags.type as AuditEventType | undefined,
      since: when('since', flags.since ?? DEFAULT_SINCE),
      until: flags.until === undefined ? undefined : when('until', flags.until),
      limit: /^\d{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN,
      before: flags.before,
    };
    const { validateAuditQuery } = await import('../services/audit.js');
    await checkInput(this, () => validateAuditQuery(query));

    const { withSession } = await import('./session.js');
    const page = await withSession(({ context }) => context.audit.query(query));
    if (flags.json) printJson(io, page.events);
    else printEventTable(io, page.events);
    if (page.next) io.stderr(`next page: ${nextPageCommand(query, page.next, flags.json ?? false)}\n`);
  },
};
