// The periods the console's lists offer (audit trail, logout deliveries), spelled as the CLI and
// the admin API spell them; anything else in the query reads as the default.
import { parseWhen } from '../../services/time-window.js';
import { queryText, type ConsoleContext } from './state.js';

export const PERIODS = ['1h', '24h', '7d', '30d', '365d'] as const;
export type Period = (typeof PERIODS)[number];

export function periodOf(ctx: ConsoleContext, fallback: Period = '24h'): Period {
  const value = queryText(ctx, 'period', 8);
  return (PERIODS as readonly string[]).includes(value) ? (value as Period) : fallback;
}

/** The start of the period, counted back from `now`. */
export function periodStart(period: Period, now: Date): Date {
  return parseWhen(period, now)!;
}
