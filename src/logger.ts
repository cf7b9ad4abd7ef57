// Structured logs (pino). Anything that could carry a credential is redacted at the source.
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

const REDACT = [
  'password', '*.password', 'client_secret', '*.client_secret', 'secret', '*.secret',
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie', 'cookie', 'token', '*.token',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'gatehouse' } });
}
