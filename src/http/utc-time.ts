// A moment as pages show it: words in UTC for the server-rendered page, and the ISO form for the
// <time datetime> element, which public/local-times.js turns into the browser's own time zone.
const UTC_WORDS = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

export interface UtcTime {
  iso: string;
  /** e.g. "3 Dec 2026, 19:35"; the view adds "UTC". */
  utc: string;
}

export function utcTime(at: Date): UtcTime {
  return { iso: at.toISOString(), utc: UTC_WORDS.format(at) };
}
