// Times as operators type them: `30m`, `24h`, `7d` before now, or an ISO 8601 date or time. The
// CLI, the admin API and the console read audit and delivery periods this way.
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const RELATIVE = /^(\d{1,6})([mhd])$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** `30m`, `24h`, `7d` before now, or an ISO 8601 date or time (UTC unless it names an offset). */
export function parseWhen(value: string, now: Date): Date | undefined {
  const relative = RELATIVE.exec(value);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  const iso = ISO.exec(value);
  if (!iso) return undefined;
  // Date would roll 2026-02-30 over into March; a day the month does not have is a typo.
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  // A date alone is UTC midnight already; a time without an offset would be local time.
  const text = value.includes(':') && !iso[1] ? `${value}Z` : value;
  const time = new Date(text.replace(' ', 'T'));
  return Number.isNaN(time.getTime()) ? undefined : time;
}
