// Password hashing with argon2id (OWASP Password Storage Cheat Sheet; NIST 800-63B §5.1.1.2).
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { BusyError, ValidationError } from '../errors.js';
import { ARGON2_FLOOR } from '../settings-schema.js';
import { createBoundedQueue, QueueFullError } from './bounded-queue.js';

export interface Argon2Settings {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

export interface HashingLimits {
  /** Hashes computed at once; 0 means one per core. */
  maxConcurrent: number;
  /** Hashes allowed to wait beyond those; more are refused with BusyError. */
  maxQueued: number;
}

export interface PasswordCheck {
  valid: boolean;
  /** True when the stored hash used weaker parameters than the current settings. */
  needsRehash: boolean;
}

export interface PasswordService {
  hash(password: string): Promise<string>;
  /** Always does one full argon2 verification, even without a stored hash. */
  verify(storedHash: string | null | undefined, password: string): Promise<PasswordCheck>;
}

/** Passwords longer than this (UTF-8 bytes) are refused before hashing: it bounds argon2's input. */
export const MAX_PASSWORD_BYTES = 1024;

export const SIGN_IN_BUSY = 'Too many sign-ins are in progress. Please try again in a few seconds.';

export function createPasswordService(settings: Argon2Settings, limits: HashingLimits = { maxConcurrent: 0, maxQueued: 64 }): PasswordService {
  // The config already refuses a lower cost; this keeps any other caller from storing a weak hash.
  if (settings.memoryKiB < ARGON2_FLOOR.memoryKiB || settings.iterations < ARGON2_FLOOR.iterations) {
    throw new RangeError(`argon2 cost below OWASP's floor (m=${ARGON2_FLOOR.memoryKiB} KiB, t=${ARGON2_FLOOR.iterations})`);
  }
  const options = {
    type: argon2.argon2id,
    memoryCost: settings.memoryKiB,
    timeCost: settings.iterations,
    parallelism: settings.parallelism,
  } as const;
  // argon2 runs on libuv's pool; capping it at the core count keeps a sign-in flood from queueing
  // unboundedly and leaves the pool's other threads (and the event loop) room to serve tokens.
  const queue = createBoundedQueue({ concurrency: limits.maxConcurrent || availableParallelism(), maxQueued: limits.maxQueued });
  const limited = async <T>(task: () => Promise<T>): Promise<T> => {
    try {
      return await queue.run(task);
    } catch (error) {
      if (error instanceof QueueFullError) throw new BusyError(SIGN_IN_BUSY);
      throw error;
    }
  };
  // Verifying against this when the account is unknown keeps the answer time the same
  // as for a wrong password (ASVS 5.0 V6.3.x, account enumeration).
  const dummyHash = argon2.hash('gatehouse-dummy-password', options);

  return {
    hash(password) {
      if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return Promise.reject(new ValidationError(`password: longer than ${MAX_PASSWORD_BYTES} bytes`));
      return limited(() => argon2.hash(password, options));
    },
    async verify(storedHash, password) {
      // Refused before any hashing, so huge inputs cannot be used to burn CPU (NIST 800-63B §3.1.1.2 lets a verifier cap the length).
      if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return { valid: false, needsRehash: false };
      const candidate = storedHash ?? (await dummyHash);
      // A malformed stored hash counts as a mismatch, not an error the caller must handle.
      const valid = await limited(() => argon2.verify(candidate, password).catch(() => false));
      if (!storedHash || !valid) return { valid: false, needsRehash: false };
      return { valid: true, needsRehash: argon2.needsRehash(storedHash, options) };
    },
  };
}
