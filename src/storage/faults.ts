// Tells a storage outage ("the database or cache did not answer") from a bug or a bad query, so
// callers can answer 503 + Retry-After instead of 500.
import { StorageUnavailableError } from '../errors.js';

// Node socket errors and Postgres SQLSTATEs that mean the server did not answer: class 08
// connection exceptions, 53300 too_many_connections, 57P01-57P03 shutdown / cannot_connect_now,
// 57014 query_canceled (our statement timeout).
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const SQLSTATES = /^(08...|53300|57P0[123]|57014)$/;
// ioredis says "Command timed out" past commandTimeout (a blackholed or slowed server),
// "Connection is closed" for a command in flight when its connection drops, and "Stream isn't
// writeable" for a command sent while it is reconnecting (we keep no offline queue).
const CLIENT_MESSAGES = /^(timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Query read timeout|Cannot use a pool after calling end|Redis connection is not ready|Command timed out|Connection is closed|Stream isn't writeable)/;

export function isStorageUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== 'object' || error === null) return false;
  if (error instanceof StorageUnavailableError) return true;
  const { code, message, cause, syscall } = error as { code?: unknown; message?: unknown; cause?: unknown; syscall?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATES.test(code))) return true;
  // The embedded database's Unix socket is gone (its owner stopped).
  if (code === 'ENOENT' && syscall === 'connect') return true;
  if (typeof message === 'string' && CLIENT_MESSAGES.test(message)) return true;
  return isStorageUnavailable(cause, depth + 1);
}
