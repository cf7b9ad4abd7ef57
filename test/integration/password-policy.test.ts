// The policy where passwords are set (users.create), and not where they are used (sign-in).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { WeakPasswordError } from '../../src/services/password-policy.js';
import { findUserByEmail, insertUser } from '../../src/storage/repositories/users.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

describe('password policy in the user service', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  }, 60_000);
  afterAll(async () => app?.close());

  it('refuses a common password with a ValidationError carrying the sentence, and writes nothing', async () => {
    const attempt = app.context.users.create({ email: 'common@example.test', password: 'Password1234' });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toBeInstanceOf(WeakPasswordError);
    await expect(attempt).rejects.toMatchObject({
      status: 400, expose: true, reason: 'common',
      message: 'This password is on a list of passwords that attackers try first. Choose another.',
    });
    expect(await findUserByEmail(app.context.database, 'common@example.test')).toBeUndefined();
  });

  it('refuses a short password and one containing the email, with their own sentences', async () => {
    await expect(app.context.users.create({ email: 'short@example.test', password: 'elevenchars' }))
      .rejects.toMatchObject({ reason: 'too-short', message: 'Use at least 12 characters.' });
    await expect(app.context.users.create({ email: 'marguerite@example.test', password: 'i am Marguerite, hello' }))
      .rejects.toMatchObject({ reason: 'contains-email', message: "Don't use your email address in your password." });
  });

  it('still signs in an account whose password predates the policy', async () => {
    const passwordHash = await app.context.passwords.hash('password');
    await insertUser(app.context.database, { email: 'legacy@example.test', passwordHash, emailVerified: true });
    const user = await app.context.users.authenticateWithPassword('legacy@example.test', 'password');
    expect(user?.email).toBe('legacy@example.test');
  });

  it('creates an account with a good password', async () => {
    const user = await app.context.users.create({ email: 'good@example.test', password: 'a quiet lighthouse at dusk' });
    expect(user.email).toBe('good@example.test');
  });
});
