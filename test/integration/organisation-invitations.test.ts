// Accepting an invitation into an organisation over real HTTP: the mailed link leaves the URL for
// an HttpOnly cookie, survives the sign-in, and a button (not the GET) makes the invitee a member
// with the invited org roles; the link works once, only for the invited address, and is audited.
import { describe, expect, it } from 'vitest';
import { appWithRelyingParty, uniqueEmail } from '../helpers/accounts.js';
import { Browser, textOf } from '../helpers/browser.js';
import { storageKinds } from '../helpers/database.js';
import { latestMailTo, linksIn } from '../helpers/outbox.js';

const PASSWORD = 'a long and memorable passphrase';
const ACTOR = { by: 'admin-cli' };

describe.each(storageKinds)('organisation invitations on %s', (kind) => {
  const env = appWithRelyingParty({ kind });
  let slugs = 0;

  async function invite(email: string, orgRoles: string[] = ['viewer']) {
    slugs += 1;
    const organisation = await env.app.context.organisations.create({ slug: `team-${slugs}`, name: `Team ${slugs}` }, ACTOR);
    await env.app.context.organisationInvitations.invite(organisation.slug, { email, orgRoles }, ACTOR);
    const link = linksIn(latestMailTo(env.app.config.mail.outboxDir, email)!.text).find((candidate) => candidate.includes('/account/organisations/join?token='))!;
    return { organisation, link };
  }

  async function signedInPageFor(browser: Browser, link: string, email: string) {
    const first = await browser.get(link);
    expect(first.url).toMatch(/\/interaction\//);
    return browser.submit(first, { button: 'Sign in', fields: { email, password: PASSWORD } });
  }

  it('makes the invited person a member with the invited org roles after sign-in and a button press, once', async () => {
    const email = uniqueEmail('ada');
    const user = await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const { organisation, link } = await invite(email, ['billing', 'viewer']);
    const browser = new Browser();
    // The GET alone spends nothing, and the token leaves the address bar.
    const page = await signedInPageFor(browser, link, email);
    expect(new URL(page.url).pathname).toBe('/account/organisations/join');
    expect(new URL(page.url).search).toBe('');
    expect(textOf(page)).toContain(`You are invited to join the organisation ${organisation.name}`);
    expect(await env.app.context.organisations.membershipOf(organisation.id, user.id)).toBeUndefined();

    const joined = await browser.submit(page, { button: `Join ${organisation.name}` });
    expect(joined.status).toBe(200);
    expect(textOf(joined)).toContain(`You are now a member of ${organisation.name}`);
    expect(await env.app.context.organisations.membershipOf(organisation.id, user.id)).toEqual({ orgRoles: ['billing', 'viewer'] });

    const again = await browser.get(link);
    expect(again.status).toBe(400);
    expect(textOf(again)).toContain('This invitation link has expired, was already used, or is incomplete');
    await env.app.context.audit.flush();
    const audited = await env.app.context.database.query("SELECT 1 FROM audit_events WHERE type = 'organisation.invitation_accepted' AND account_id = $1", [user.id]);
    expect(audited.rowCount).toBe(1);
  });

  it('does not let another account accept a forwarded link', async () => {
    const invited = uniqueEmail('invited');
    const other = uniqueEmail('other');
    const otherUser = await env.app.context.users.create({ email: other, password: PASSWORD, emailVerified: true });
    const { organisation, link } = await invite(invited);
    const browser = new Browser();
    const page = await signedInPageFor(browser, link, other);
    expect(textOf(page)).toContain(`is for ${invited}, but you are signed in as ${other}`);
    expect(page.body).not.toMatch(/<button[^>]*>Join /);
    // A crafted POST is refused the same way.
    const forced = await browser.request(`${env.app.issuer}/account/organisations/join`, {
      method: 'POST', form: { csrf: /name="csrf" value="([^"]+)"/.exec((await browser.get(`${env.app.issuer}/account`)).body)![1]! },
    });
    expect(forced.status).toBe(400);
    expect(textOf(forced)).toContain(`This invitation is for ${invited}`);
    expect(await env.app.context.organisations.membershipOf(organisation.id, otherUser.id)).toBeUndefined();
  });

  it('answers a malformed or unknown link with a readable 400', async () => {
    const email = uniqueEmail('eve');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const page = await signedInPageFor(new Browser(), `${env.app.issuer}/account/organisations/join?token=not-a-token`, email);
    expect(page.status).toBe(400);
    expect(textOf(page)).toContain('This invitation link has expired');
  });
});
