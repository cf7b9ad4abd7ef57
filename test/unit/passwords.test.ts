import { describe, expect, it } from 'vitest';
import { createPasswordService } from '../../src/services/passwords.js';

const owasp = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

describe('password service', () => {
  it('hashes with argon2id at the configured parameters', async () => {
    const hash = await createPasswordService(owasp).hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('verifies, rejects a wrong password and a missing hash', async () => {
    const service = createPasswordService(owasp);
    const hash = await service.hash('correct horse battery');
    expect(await service.verify(hash, 'correct horse battery')).toEqual({ valid: true, needsRehash: false });
    expect((await service.verify(hash, 'wrong horse battery')).valid).toBe(false);
    expect((await service.verify(undefined, 'anything at all')).valid).toBe(false);
    expect((await service.verify('not-a-hash', 'anything at all')).valid).toBe(false);
  });

  it('asks for a rehash when the parameters have grown', async () => {
    const old = await createPasswordService(owasp).hash('correct horse battery');
    const stronger = createPasswordService({ ...owasp, memoryKiB: 32768 });
    expect(await stronger.verify(old, 'correct horse battery')).toEqual({ valid: true, needsRehash: true });
  });

  it('refuses a cost below OWASP\'s floor, whoever builds it', () => {
    expect(() => createPasswordService({ ...owasp, memoryKiB: 1024 })).toThrow(/below OWASP's floor/);
    expect(() => createPasswordService({ ...owasp, iterations: 1 })).toThrow(/below OWASP's floor/);
  });
});
