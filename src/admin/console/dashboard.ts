// The console's home: how many accounts, clients and live sessions there are, and how sign-ins
// went over the last day.
import type { AdminDashboard } from '../../services/admin-dashboard.js';
import { ADMIN_CONSOLE_PATHS } from '../../paths.js';
import type { ConsolePages, ConsoleStep } from './state.js';

export function createDashboardSteps(deps: { dashboard: AdminDashboard; pages: ConsolePages }) {
  const { dashboard, pages } = deps;

  const showDashboard: ConsoleStep = async function showDashboard(ctx) {
    const counts = await dashboard.counts();
    await pages.render(ctx, 'dashboard', 'dashboard', {
      title: 'Dashboard',
      counts,
      links: {
        failures: `${ADMIN_CONSOLE_PATHS.audit}?type=login.failure&period=24h`,
        signIns: `${ADMIN_CONSOLE_PATHS.audit}?type=login.success&period=24h`,
      },
    });
  };

  return { showDashboard };
}
