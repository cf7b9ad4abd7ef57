// Password hashing with argon2id (OWASP Password Storage Cheat Sheet; NIST 800-63B §5.1.1.2).
import argon2 from 'argon2';

export interface Argon2Settings {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
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

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

export function createPasswordService(settings: Argon2Settings): PasswordService {
  const options = {
    type: argon2.argon2id,
    memoryCost: settings.memoryKiB,
    timeCost: settings.iterations,
    parallelism: settings.parallelism,
  } as const;
  // Verifying against this when the account is unknown keeps the answer time the same
  // as for a wrong password (ASVS 5.0 V6.3.x, account enumeration).
  const dummyHash = argon2.hash('gatehouse-dummy-password', options);

  return {
    hash(password) {
      return argon2.hash(password, options);
    },
    async verify(storedHash, password) {
      const candidate = storedHash ?? (await dummyHash);
      // A malformed stored hash counts as a mismatch, not an error the caller must handle.
      const valid = await argon2.verify(candidate, password).catch(() => false);
      if (!storedHash || !valid) return { valid: false, needsRehash: false };
      return { valid: true, needsRehash: argon2.needsRehash(storedHash, options) };
    },
  };
}

/** NIST 800-63B §5.1.1.2: at least 8 characters, no composition rules, a generous maximum. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (length > MAX_PASSWORD_LENGTH) return `Password must be at most ${MAX_PASSWORD_LENGTH} characters.`;
  return undefined;
}
