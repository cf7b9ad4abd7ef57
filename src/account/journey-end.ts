// The end of a mailed-link journey on the account pages: after the link is spent, leave the login
// page a note (when this browser has its sign-in open) and go to the done page, which names the
// app the link was asked from. `?client=` only ever names a registered client: journey.ts looks
// it up and links to that client's own URIs, so a crafted value is no redirect anywhere.
import type { Journeys } from '../http/journey.js';
import type { JourneyNote, JourneyNotes } from '../http/journey-note.js';
import type { AccountContext } from './steps.js';

const CLIENT_ID = /^[\x21-\x7e]{1,255}$/;

export function createJourneyEnd(deps: { journeys: Journeys; journeyNotes: JourneyNotes }) {
  const { journeys, journeyNotes } = deps;

  /** The done page's path, naming the app the spent link was asked from. */
  async function afterLink(ctx: AccountContext, donePath: string, note: JourneyNote, done: { email?: string; clientId: string | null }): Promise<string> {
    const returning = await journeys.current(ctx);
    if (returning) journeyNotes.leave(ctx, returning.uid, note, done.email);
    return done.clientId ? `${donePath}?client=${encodeURIComponent(done.clientId)}` : donePath;
  }

  /** Where the done page leads: the open sign-in, the app named by `?client=`, or the account. */
  async function endOf(ctx: AccountContext) {
    const client = ctx.query.client;
    return journeys.endOf(ctx, typeof client === 'string' && CLIENT_ID.test(client) ? client : undefined);
  }

  return { afterLink, endOf };
}

export type JourneyEnd = ReturnType<typeof createJourneyEnd>;
