// The audit trail, newest first, filtered by address, account, event type and period, a page at a
// time (the `gatehouse audit` command's query, in a form). A filter that is not valid is said so
// on the page, beside the form, and nothing is listed.
import { ValidationError } from '../../errors.js';
import { ADMIN_CONSOLE_PATHS } from '../../paths.js';
import { AUDIT_EVENT_TYPES, type AuditEventType, type AuditLog, type AuditQuery } from '../../services/audit.js';
import { PERIODS, periodOf, periodStart, type Period } from './periods.js';
import { queryText, type ConsolePages, type ConsoleStep } from './state.js';

const PAGE_SIZE = 50;

export interface AuditFilters {
  email: string;
  account: string;
  type: string;
  period: Period;
  before: string;
}

export function auditFiltersOf(ctx: Parameters<ConsoleStep>[0]): AuditFilters {
  return {
    email: queryText(ctx, 'email').trim(),
    account: queryText(ctx, 'account', 64).trim(),
    type: queryText(ctx, 'type', 64),
    period: periodOf(ctx),
    before: queryText(ctx, 'before', 64),
  };
}

export function auditQueryOf(filters: AuditFilters, now: Date, limit = PAGE_SIZE): AuditQuery {
  return {
    email: filters.email || undefined,
    accountId: filters.account || undefined,
    type: (filters.type || undefined) as AuditEventType | undefined,
    since: periodStart(filters.period, now),
    limit,
    before: filters.before || undefined,
  };
}

/** Audit rows as the views show them: times in ISO 8601, details as `key=value` text. */
export function auditRowsOf(events: Awaited<ReturnType<AuditLog['query']>>['events']) {
  return events.map((event) => ({
    ...event,
    occurredAt: event.occurredAt.toISOString(),
    detail: Object.entries(event.detail).map(([key, value]) => `${key}=${String(value)}`).join(' '),
  }));
}

export function createAuditSteps(deps: { audit: AuditLog; pages: ConsolePages }) {
  const { audit, pages } = deps;

  const showAudit: ConsoleStep = async function showAudit(ctx) {
    const filters = auditFiltersOf(ctx);
    let problem: string | undefined;
    let page: Awaited<ReturnType<AuditLog['query']>> = { events: [], next: undefined };
    try {
      page = await audit.query(auditQueryOf(filters, new Date()));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problem = error.message;
    }
    const nextLink = page.next ? `${ADMIN_CONSOLE_PATHS.audit}?${new URLSearchParams({ ...filters, before: page.next }).toString()}` : undefined;
    await pages.render(ctx, 'audit', 'audit', {
      title: 'Audit trail',
      filters, problem, types: AUDIT_EVENT_TYPES, periods: PERIODS,
      events: auditRowsOf(page.events), nextLink,
      usersPath: ADMIN_CONSOLE_PATHS.users,
    }, problem ? 400 : 200);
  };

  return { showAudit };
}
