// Live session events: /account/events streams, to the signed-in person, the sessions of
// their account that start and end, and warns before this one expires; across nodes the events
// travel through Redis pub/sub, so a session ended on node A reaches a stream held open on B —
// the person's own stream and an admin's (/admin/api/events).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApiResource } from '../../src/paths.js';
import { createSettingsFiles } from '../helpers/accounts.js';
import { Browser } from '../helpers/browser.js';
import { openAccountPage, openEventStream, SESSION_TEST_PASSWORD, sessionUidsOn } from '../helpers/sessions.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { testRedisUrl } from '../helpers/redis.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { createTestSecrets, startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = SESSION_TEST_PASSWORD;
const settings = createSettingsFiles('gh-session-events-');
afterAll(() => settings.remove());



describe('session events on one node (in process)', () => {
  let app: TestApp;

  beforeAll(async () => {
    // A warning window longer than the idle timeout: the expiring event is due at once.
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('warn', { sessions: { idleTimeoutSeconds: 600, expiryWarningSeconds: 900 } }) } });
  });
  afterAll(async () => { await app?.close(); });

  it('streams created and ended sessions of the account, and warns before this one expires', async () => {
    const email = 'events@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const watcher = new Browser();
    const page = await openAccountPage(app, watcher, '/account/sessions', email);
    expect(page.body).toContain('data-events="/account/events"');
    const script = await fetch(`${app.issuer}/assets/sessions.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    const [mine] = sessionUidsOn(page);

    const stream = await openEventStream(watcher, `${app.issuer}/account/events`);
    try {
      expect((await stream.waitFor('ready')).data).toMatchObject({ session: mine, expiresAt: expect.any(String) });
      expect((await stream.waitFor('session.expiring')).data).toMatchObject({ session: mine, current: true });

      const other = new Browser();
      const otherPage = await openAccountPage(app, other, '/account/sessions', email);
      const otherUid = sessionUidsOn(otherPage).find((uid) => uid !== mine)!;
      const created = await stream.waitFor('session.created', (data) => data.session !== mine);
      expect(created.data.current).toBe(false);

      const fresh = await watcher.get(`${app.issuer}/account/sessions`);
      await watcher.submit(fresh, { button: /^Sign out$/, form: (form) => form.fields.session === otherUid });
      const ended = await stream.waitFor('session.ended', (data) => data.session === otherUid);
      expect(ended.data).toMatchObject({ reason: 'signed-out', current: false });
    } finally {
      stream.close();
    }
    // Someone not signed in gets no stream.
    const anonymous = await fetch(`${app.issuer}/account/events`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
  });

  it('publishes session.created once per sign-in, on the account pages and through an app', async () => {
    const email = 'created-once@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const client = await app.context.clients.register({ name: 'Once', redirectUris: [RP_REDIRECT_URI] });
    const rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
    const watcher = new Browser();
    const [mine] = sessionUidsOn(await openAccountPage(app, watcher, '/account/sessions', email));
    const stream = await openEventStream(watcher, `${app.issuer}/account/events`);
    try {
      await stream.waitFor('ready');
      await openAccountPage(app, new Browser(), '/account/sessions', email);
      await exchangeCode(rp, await signIn(new Browser(), rp, { email, password: PASSWORD }));
      // Events arrive in order: once the sessions are ended, every session.created is in.
      const page = await watcher.get(`${app.issuer}/account/sessions`);
      const others = sessionUidsOn(page).filter((uid) => uid !== mine);
      expect(others).toHaveLength(2);
      await watcher.submit(page, { button: 'Sign out everywhere else' });
      for (const uid of others) await stream.waitFor('session.ended', (data) => data.session === uid);
      const created = stream.events.filter((event) => event.type === 'session.created').map((event) => event.data.session);
      expect(created.sort()).toEqual([...others].sort());
    } finally {
      stream.close();
    }
  });
});

describe.runIf(Boolean(process.env.TEST_DATABASE_URL && testRedisUrl))('session events across two nodes (Redis pub/sub)', () => {
  let database: TestDatabase;
  let nodeA: TestApp;
  let nodeB: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // One deployment: one database, one Redis keyspace, one set of secrets; only the node differs.
    const redis = { keyPrefix: `gh-test:${randomBytes(6).toString('hex')}:` };
    const secrets = createTestSecrets();
    nodeA = await startTestApp({ testDatabase: database, redis, secrets });
    nodeB = await startTestApp({ testDatabase: database, redis, secrets });
  });
  afterAll(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await database?.close();
  });

  it('a session ended on A reaches the stream held open on B', async () => {
    const email = 'two-nodes-events@example.test';
    await nodeA.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const watcher = new Browser();
    await openAccountPage(nodeA, watcher, '/account', email);
    // The browser's session cookie works on B: the session lives in the shared Redis.
    const stream = await openEventStream(watcher, `${nodeB.issuer}/account/events`);
    try {
      await stream.waitFor('ready');
      const other = new Browser();
      const page = await openAccountPage(nodeA, other, '/account/sessions', email);
      await stream.waitFor('session.created', (data) => data.current === false);
      const done = await other.submit(page, { button: 'Sign out everywhere else' });
      expect(done.body).toContain('Every other session was signed out.');
      const ended = await stream.waitFor('session.ended', (data) => data.current === true);
      expect(ended.data.reason).toBe('signed-out-elsewhere');
    } finally {
      stream.close();
    }
  });
  it('a session ended on A reaches an admin stream held open on B', async () => {
    const adminEmail = 'two-nodes-admin@example.test';
    await nodeB.context.users.create({ email: adminEmail, password: PASSWORD, emailVerified: true });
    await nodeB.context.users.changeRoles(adminEmail, { add: ['admin'], remove: [] });
    // The admin's token is B's: a node's admin API accepts tokens for its own issuer's resource.
    const registered = await nodeB.context.clients.register({ name: 'Admin console', redirectUris: [RP_REDIRECT_URI], scope: 'openid admin' });
    const rp = await discoverIssuer(nodeB.issuer, registered.clientId, registered.clientSecret!);
    const signedIn = await signIn(new Browser(), rp, { email: adminEmail, password: PASSWORD, scope: 'openid admin', extraParams: { resource: adminApiResource(nodeB.issuer) } });
    const { access_token: token } = await exchangeCode(rp, signedIn);
    const stream = await openEventStream(undefined, `${nodeB.issuer}/admin/api/events`, { authorization: `Bearer ${token}` });
    try {
      await stream.waitFor('ready');
      const email = 'two-nodes-watched@example.test';
      const person = await nodeA.context.users.create({ email, password: PASSWORD, emailVerified: true });
      await openAccountPage(nodeA, new Browser(), '/account', email);
      const created = await stream.waitFor('session.created', (data) => data.account === person.id);
      // From a second device of the person's, the first is signed out.
      const other = new Browser();
      const page = await openAccountPage(nodeA, other, '/account/sessions', email);
      await other.submit(page, { button: /^Sign out$/, form: (form) => form.fields.session === created.data.session });
      const ended = await stream.waitFor('session.ended', (data) => data.account === person.id);
      expect(ended.data).toMatchObject({ session: created.data.session, reason: 'signed-out' });
    } finally {
      stream.close();
    }
  });
});
