// The audit trail: for every security-relevant event, one row in audit_events and one
// structured log line, with time, account, client, IP, user agent and outcome (ASVS 5.0 V16.2,
// V16.3). Nothing that works as a credential is ever written: the caller passes identifiers and a
// small `detail` of short scalars, and detail keys that name a password, token, secret, code or
// cookie are refused by the type checker and dropped at run time.
import { ValidationError } from '../errors.js';
import { isUuid } from '../uuid.js';
import type { Logger } from '../logger.js';
import type { Database, Queryable } from '../storage/db.js';
import { isStorageUnavailable } from '../storage/faults.js';
import {
  eraseAuditPersonalData, findAuditEvents, insertAuditEvents, type AuditEventRow, type NewAuditEventRow,
} from '../storage/repositories/audit-events.js';

export const AUDIT_EVENT_TYPES = [
  'login.success', 'login.failure', 'second_factor.success', 'second_factor.failure',
  'account.locked', 'account.unlocked', 'registration', 'email.verified', 'email.change_requested', 'email.changed', 'email.change_undone',
  'password.changed', 'password.reset_requested', 'password.reset', 'password.blocked',
  'two_factor.enrolled', 'two_factor.disabled', 'two_factor.reset', 'two_factor.backup_codes_regenerated', 'trusted_device.revoked',
  'consent.granted', 'consent.revoked', 'token.issued', 'token.revoked', 'logout', 'session.ended',
  'account.deactivated', 'account.reactivated', 'account.deleted', 'admin.user_changed', 'admin.client_changed', 'admin.api_refused',
  'admin.role_changed', 'admin.group_changed', 'access.denied',
  'federation.linked', 'federation.unlinked',
  'admin.organisation_changed', 'organisation.invitation_accepted',
  'personal_token.created', 'personal_token.revoked',
  'client.registered', 'client.updated', 'client.deleted', 'client.initial_access_issued',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];
export type AuditOutcome = 'success' | 'failure';
export type AuditDetailValue = string | number | boolean | null;
const SECRET_WORDS = ['password', 'token', 'secret', 'code', 'cookie'] as const;
type SecretWord = (typeof SECRET_WORDS)[number];
type SecretLikeKey = `${string}${SecretWord | Capitalize<SecretWord> | Uppercase<SecretWord>}${string}`;

/**
 * Short scalars under plain keys. A key that names a credential (`password`, `refreshToken`,
 * `clientSecret`, `authCode`, `sessionCookie`, …) does not compile, and is dropped at run time.
 */
export type AuditDetail = { [key: string]: AuditDetailValue } & { [key: SecretLikeKey]: never };

export interface AuditEventInput {
  type: AuditEventType;
  outcome: AuditOutcome;
  accountId?: string | null;
  /** The address involved: typed at sign-in, or the account's. */
  email?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Short scalars that explain the event, e.g. `{ reason: 'bad_credentials' }`. */
  detail?: AuditDetail;
}

/** Where a request came from (http/request-meta.ts reads it off a request). */
export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
}

export interface AuditQuery {
  accountId?: string | undefined;
  /** Rows naming this address and rows of the account that has it now, regardless of case. */
  email?: string | undefined;
  type?: AuditEventType | undefined;
  since: Date;
  until?: Date | undefined;
  /** 1 to MAX_AUDIT_PAGE rows. */
  limit: number;
  /** The `next` of the previous page. */
  before?: string | undefined;
}

export interface AuditEvent {
  id: string;
  occurredAt: Date;
  type: string;
  outcome: AuditOutcome;
  accountId: string | null;
  email: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** As stored: only what sanitizeAuditDetail kept. */
  detail: Record<string, AuditDetailValue>;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Pass as `before` for the next (older) page; undefined on the last page. */
  next: string | undefined;
}

export const MAX_AUDIT_PAGE = 1000;
const MAX_DETAIL_KEYS = 16;
const MAX_DETAIL_STRING = 200;
/** The user agent is free text chosen by the client; longer ones are cut. */
export const MAX_USER_AGENT_CHARS = 512;
const MAX_EMAIL = 320;
const MAX_SHORT_FIELD = 200;
const BATCH_WINDOW_MS = 50;
const BATCH_MAX_ROWS = 200;
const DETAIL_KEY = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const SECRET_KEY = new RegExp(SECRET_WORDS.join('|'), 'i');
// The key of a page's last row: its time to the microsecond in UTC, and its id.
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)_(\d{1,18})$/;

/** Postgres text and jsonb refuse U+0000, which a request can carry (`grant_type=x%00y`): it is dropped. */
function withoutNul(value: string): string {
  return value.replaceAll('\u0000', '');
}

/** Keeps short scalars under plain keys; returns what it dropped, by key, for the log. */
export function sanitizeAuditDetail(detail: Record<string, unknown> | undefined): { detail: Record<string, AuditDetailValue>; dropped: string[] } {
  const kept: Record<string, AuditDetailValue> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(detail ?? {})) {
    const scalar = value === null || typeof value === 'boolean' || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    if (!DETAIL_KEY.test(key) || SECRET_KEY.test(key) || !scalar || Object.keys(kept).length >= MAX_DETAIL_KEYS) {
      dropped.push(DETAIL_KEY.test(key) ? key : '(malformed key)');
      continue;
    }
    kept[key] = typeof value === 'string' ? withoutNul(value).slice(0, MAX_DETAIL_STRING) : (value as AuditDetailValue);
  }
  return { detail: kept, dropped };
}

function clip(value: string | null | undefined, max: number): string | null {
  const trimmed = value ? withoutNul(value).trim() : undefined;
  return trimmed ? trimmed.slice(0, max) : null;
}

function toEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    occurredAt: row.occurred_at,
    type: row.type,
    outcome: row.outcome,
    accountId: row.account_id,
    email: row.email,
    clientId: row.client_id,
    ip: row.ip,
    userAgent: row.user_agent,
    detail: row.detail,
  };
}

/**
 * Checks a query before it runs (the CLI calls it before opening the database); throws
 * ValidationError naming every problem. Returns the parsed `before` cursor.
 */
export function validateAuditQuery(query: AuditQuery): { occurredKey: string; id: string } | undefined {
  const problems: string[] = [];
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_AUDIT_PAGE) problems.push(`limit must be an integer from 1 to ${MAX_AUDIT_PAGE}`);
  if (Number.isNaN(query.since.getTime())) problems.push('since must be a valid time');
  if (query.until && Number.isNaN(query.until.getTime())) problems.push('until must be a valid time');
  if (query.accountId !== undefined && !isUuid(query.accountId)) problems.push('account must be a UUID');
  if (query.email !== undefined && (query.email.trim() === '' || query.email.length > MAX_EMAIL)) problems.push('email must be 1 to 320 characters');
  if (query.type !== undefined && !(AUDIT_EVENT_TYPES as readonly string[]).includes(query.type)) problems.push(`type "${query.type}" is not an audit event type`);
  const cursor = query.before === undefined ? undefined : CURSOR.exec(query.before);
  if (cursor === null) problems.push('before must be a cursor printed with an earlier page');
  if (problems.length > 0) throw new ValidationError(problems.join('; '));
  return cursor ? { occurredKey: cursor[1]!, id: cursor[2]! } : undefined;
}

export function createAuditLog(deps: { database: Database; logger: Logger; clock?: () => Date }) {
  const { database, logger, clock } = deps;

  /** The row to store and the log line (without email and user agent) for one event. */
  function prepare(event: AuditEventInput): { row: NewAuditEventRow; line: Record<string, unknown> } {
    const { detail, dropped } = sanitizeAuditDetail(event.detail);
    const row: NewAuditEventRow = {
      type: event.type,
      outcome: event.outcome,
      accountId: clip(event.accountId, MAX_SHORT_FIELD),
      email: clip(event.email, MAX_EMAIL),
      clientId: clip(event.clientId, MAX_SHORT_FIELD),
      ip: clip(event.ip, MAX_SHORT_FIELD),
      userAgent: clip(event.userAgent, MAX_USER_AGENT_CHARS),
      detail,
      occurredAt: clock?.(),
    };
    // The log line leaves out email and user agent: log files cannot be erased with an account.
    const line = { type: row.type, outcome: row.outcome, accountId: row.accountId, clientId: row.clientId, ip: row.ip, detail };
    if (dropped.length > 0) logger.warn({ audit: { type: row.type, droppedKeys: dropped } }, 'audit detail entries dropped');
    return { row, line };
  }

  /**
   * Stores the event and logs it. Without `db` a storage failure is logged (the event with it)
   * and swallowed, so the audit trail never breaks a sign-in; with a caller's transaction it
   * throws, and the change it describes rolls back with it.
   */
  async function record(event: AuditEventInput, db?: Queryable): Promise<void> {
    const { row, line } = prepare(event);
    try {
      await insertAuditEvents(db ?? database, [row]);
    } catch (error) {
      if (db) throw error;
      const { name, message, code } = error as { name?: string; message?: string; code?: string };
      logger.error({ audit: line, err: { name, code, message } }, 'audit event not stored');
      return;
    }
    logger.info({ audit: line }, row.type);
  }

  /** Newest first; `next` continues with older rows. Throws ValidationError for a bad query. */
  async function query(input: AuditQuery): Promise<AuditPage> {
    const before = validateAuditQuery(input);
    const rows = await findAuditEvents(database, {
      accountId: input.accountId,
      email: input.email?.trim(),
      type: input.type,
      since: input.since,
      until: input.until,
      before,
      limit: input.limit + 1,
    });
    const page = rows.slice(0, input.limit);
    const last = page.at(-1);
    return { events: page.map(toEvent), next: rows.length > input.limit && last ? `${last.occurred_key}_${last.id}` : undefined };
  }

  /**
   * For account deletion: keeps the account's rows and their account id but erases the address,
   * IP and user agent (GDPR Art. 17). Run it before the users row is deleted, in the same
   * transaction. Returns the number of rows changed.
   */
  async function forgetAccount(accountId: string, db?: Queryable): Promise<number> {
    if (!isUuid(accountId)) throw new ValidationError('accountId must be a UUID');
    return eraseAuditPersonalData(db ?? database, accountId);
  }

  // Write-behind for high-volume events (every token the provider issues or revokes): rows wait
  // at most BATCH_WINDOW_MS and go in one multi-row INSERT, one commit per batch instead of one
  // per token. The log line is written at once, so a crash inside the window loses rows, never
  // the record of the event. flush() runs at shutdown.
  const pending: NewAuditEventRow[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  function logNotStored(rows: readonly NewAuditEventRow[], error: unknown): void {
    const { name, code, message } = error as { name?: string; code?: string; message?: string };
    logger.error({ audit: { count: rows.length, types: [...new Set(rows.map((row) => row.type))] }, err: { name, code, message } }, 'audit events not stored');
  }

  /**
   * One INSERT for the batch. When the database refused it (a bug or a bad value, not an outage),
   * each row goes in on its own, so one row it cannot take does not cost the others.
   */
  async function storeBatch(rows: readonly NewAuditEventRow[]): Promise<void> {
    try {
      await insertAuditEvents(database, rows);
      return;
    } catch (error) {
      if (rows.length === 1 || isStorageUnavailable(error)) {
        logNotStored(rows, error);
        return;
      }
    }
    const failed: NewAuditEventRow[] = [];
    let lastError: unknown;
    for (const [index, row] of rows.entries()) {
      try {
        await insertAuditEvents(database, [row]);
      } catch (error) {
        lastError = error;
        // Storage went away meanwhile: the rest would only wait for their own timeouts.
        if (isStorageUnavailable(error)) {
          failed.push(...rows.slice(index));
          break;
        }
        failed.push(row);
      }
    }
    if (failed.length > 0) logNotStored(failed, lastError);
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const rows = pending.splice(0);
    if (rows.length > 0) inFlight = inFlight.then(() => storeBatch(rows));
    return inFlight;
  }

  /** Like record(), for events too frequent to cost a commit each; stored within BATCH_WINDOW_MS. */
  function recordSoon(event: AuditEventInput): void {
    const { row, line } = prepare(event);
    logger.info({ audit: line }, row.type);
    pending.push(row);
    if (pending.length >= BATCH_MAX_ROWS) {
      void flush();
    } else if (!timer) {
      timer = setTimeout(() => { void flush(); }, BATCH_WINDOW_MS);
      timer.unref();
    }
  }

  return { record, recordSoon, flush, query, forgetAccount };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
