// The admin console's dashboard: a handful of counts in one round trip.
import type { Queryable } from '../db.js';

export interface DashboardCounts {
  users: number;
  clients: number;
  activeSessions: number;
  signIns: number;
  signInFailures: number;
}

/** Accounts, clients and live sessions now; successful and failed sign-ins since `since`. */
export async function countForDashboard(db: Queryable, since: Date): Promise<DashboardCounts> {
  const result = await db.query<{ users: string; clients: string; sessions: string; sign_ins: string; failures: string }>(
    `SELECT (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM oidc_clients) AS clients,
       (SELECT count(*) FROM account_sessions WHERE expires_at > now()) AS sessions,
       (SELECT count(*) FROM audit_events WHERE type = 'login.success' AND occurred_at >= $1) AS sign_ins,
       (SELECT count(*) FROM audit_events WHERE type = 'login.failure' AND occurred_at >= $1) AS failures`,
    [since],
  );
  const row = result.rows[0]!;
  return {
    users: Number(row.users), clients: Number(row.clients), activeSessions: Number(row.sessions),
    signIns: Number(row.sign_ins), signInFailures: Number(row.failures),
  };
}
