// What the admin console's dashboard shows: how many accounts, clients and live sessions there
// are, and how sign-ins went over the last day.
import type { Database } from '../storage/db.js';
import { countForDashboard, type DashboardCounts } from '../storage/repositories/dashboard-counts.js';

export type { DashboardCounts };

export const DASHBOARD_WINDOW_MS = 24 * 60 * 60 * 1000;

export function createAdminDashboard(deps: { database: Database; clock?: () => Date }) {
  const now = deps.clock ?? (() => new Date());
  return {
    /** The counts now; sign-ins and failures over the last 24 hours. */
    counts(): Promise<DashboardCounts> {
      return countForDashboard(deps.database, new Date(now().getTime() - DASHBOARD_WINDOW_MS));
    },
  };
}

export type AdminDashboard = ReturnType<typeof createAdminDashboard>;
