// A request answered 503 because its time budget ran out (http/request-budget.ts) may still have
// work running. That work must not start new storage calls: a write nobody hears of, such as a
// refresh token rotated after the client was told to retry, would turn the retry into a replay
// (RFC 9700 §4.14.2) and revoke the grant. AsyncLocalStorage carries the request's flag to every
// storage call made on its behalf, however deep.
import { AsyncLocalStorage } from 'node:async_hooks';
import { StorageUnavailableError } from '../errors.js';

interface Deadline { passed: boolean }

const deadlines = new AsyncLocalStorage<Deadline>();

export class DeadlinePassedError extends Error {
  constructor() {
    super('the request was already answered; no storage call is started for it');
    this.name = 'DeadlinePassedError';
  }
}

/** Runs fn under a deadline; calling the returned pass() makes later storage calls of fn refuse. */
export function runUnderDeadline<T>(fn: () => T): { result: T; pass(): void } {
  const deadline: Deadline = { passed: false };
  const result = deadlines.run(deadline, fn);
  return { result, pass: () => { deadline.passed = true; } };
}

/** Throws StorageUnavailableError when the current request's deadline has passed. */
export function refuseAfterDeadline(): void {
  if (deadlines.getStore()?.passed) throw new StorageUnavailableError(new DeadlinePassedError());
}
