// Back-channel logout deliveries: per client, how the period's notices fared; then the deliveries
// one by one (by status and client), each failed one with a button that queues it again.
import { formOf } from '../../http/body.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { ADMIN_CONSOLE_PATHS as PATHS, adminConsolePath } from '../../paths.js';
import { DELIVERY_STATUSES, type LogoutDeliveryAdmin } from '../../services/logout-delivery-admin.js';
import { PERIODS, periodOf, periodStart } from './periods.js';
import { byAdmin, paramOf, queryText, redirectTo, type ConsolePages, type ConsoleStep } from './state.js';

const PAGE_SIZE = 50;
type Status = (typeof DELIVERY_STATUSES)[number];

const NOTICES: Record<string, string> = {
  retried: 'The delivery is queued again; the servers send it at their next poll.',
  'not-failed': 'Only a delivery that failed for good can be retried; this one is pending or delivered.',
  gone: 'That delivery no longer exists (finished deliveries are removed after a while).',
};

export function createDeliveriesSteps(deps: { logoutDeliveryAdmin: LogoutDeliveryAdmin; pages: ConsolePages }) {
  const { logoutDeliveryAdmin: deliveries, pages } = deps;

  const showDeliveries: ConsoleStep = async function showDeliveries(ctx) {
    const statusText = queryText(ctx, 'status', 16);
    const filters = {
      status: (DELIVERY_STATUSES as readonly string[]).includes(statusText) ? (statusText as Status) : undefined,
      client: queryText(ctx, 'client', 200).trim(),
      period: periodOf(ctx),
      before: queryText(ctx, 'before', 64),
    };
    const since = periodStart(filters.period, new Date());
    let problem: string | undefined;
    let page: Awaited<ReturnType<LogoutDeliveryAdmin['list']>> = { deliveries: [], next: undefined };
    try {
      page = await deliveries.list({ status: filters.status, clientId: filters.client || undefined, since, limit: PAGE_SIZE, before: filters.before || undefined });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problem = error.message;
    }
    const summary = await deliveries.summary(since);
    const query = { status: filters.status ?? '', client: filters.client, period: filters.period };
    const notice = queryText(ctx, 'notice', 16);
    await pages.render(ctx, 'deliveries', 'deliveries', {
      title: 'Back-channel logout deliveries',
      notice: Object.hasOwn(NOTICES, notice) ? NOTICES[notice] : undefined,
      filters: query, statuses: DELIVERY_STATUSES, periods: PERIODS, problem,
      summary: summary.map((row) => ({ ...row, lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null })),
      deliveries: page.deliveries.map((row) => ({
        ...row, createdAt: row.createdAt.toISOString(), retryPath: adminConsolePath(PATHS.retryDelivery, { id: row.id }),
      })),
      nextLink: page.next ? `${PATHS.deliveries}?${new URLSearchParams({ ...query, before: page.next }).toString()}` : undefined,
      returnTo: `${PATHS.deliveries}?${new URLSearchParams(query).toString()}`,
    }, problem ? 400 : 200);
  };

  /** Retrying is not destructive (it only sends a notice again), so it needs no confirmation. */
  const retryDelivery: ConsoleStep = async function retryDelivery(ctx) {
    const returnQuery = new URLSearchParams(formOf(ctx).get('return')?.slice(0, 300) ?? '');
    let notice = 'retried';
    try {
      await deliveries.retry(paramOf(ctx, 'id'), byAdmin(ctx).by);
    } catch (error) {
      if (error instanceof ConflictError) notice = 'not-failed';
      else if (error instanceof NotFoundError) notice = 'gone';
      else throw error;
    }
    const query = new URLSearchParams();
    for (const name of ['status', 'client', 'period']) {
      const value = returnQuery.get(name);
      if (value) query.set(name, value);
    }
    query.set('notice', notice);
    redirectTo(ctx, `${PATHS.deliveries}?${query.toString()}`);
  };

  return { showDeliveries, retryDelivery };
}
