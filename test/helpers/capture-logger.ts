// A pino logger whose lines a test can read back, parsed.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/logger.js';

export interface CapturedLogger {
  logger: Logger;
  /** Every line written so far, as raw JSON text. */
  lines: string[];
  entries(): Record<string, unknown>[];
}

export function captureLogger(level = 'info'): CapturedLogger {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  const logger = pino({ level }, stream);
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
