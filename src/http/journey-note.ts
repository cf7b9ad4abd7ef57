// The words the login page shows when a journey leads back into it ("Your email address is
// confirmed. Sign in to continue.") with the address filled in. The account page that ends the
// journey leaves them in a cookie scoped to that interaction's own path, as federation-cookie.ts
// does: signed with COOKIE_SECRETS, HttpOnly, SameSite=Lax, ten minutes, read once. The note is a
// key from the fixed list below, never text from the browser.
import type Koa from 'koa';
import { z } from 'zod';
import { decodeCookieJson, encodeCookieJson } from './cookie-json.js';
import { interactionHref } from './journey.js';

export const JOURNEY_NOTES = {
  'email-confirmed': 'Your email address is confirmed. Sign in to continue.',
  'password-reset': 'Your new password is set. Sign in with it to continue.',
  unlocked: 'Your account is unlocked. Sign in to continue.',
} as const;

export type JourneyNote = keyof typeof JOURNEY_NOTES;

const noteSchema = z.object({
  note: z.enum(Object.keys(JOURNEY_NOTES) as [JourneyNote, ...JourneyNote[]]),
  email: z.string().max(320).optional(),
});

const NOTE_MAX_AGE_MS = 10 * 60 * 1000;

export function createJourneyNotes(options: { secure: boolean }) {
  const { secure } = options;
  const name = secure ? '__Secure-gatehouse.journey-note' : 'gatehouse.journey-note';
  const base = { httpOnly: true, sameSite: 'lax', secure, signed: true, overwrite: true } as const;

  /** Leaves a note for the login page of interaction `uid`. */
  function leave(ctx: Koa.Context, uid: string, note: JourneyNote, email?: string): void {
    ctx.cookies.set(name, encodeCookieJson({ note, email }), { ...base, path: interactionHref(uid), maxAge: NOTE_MAX_AGE_MS });
  }

  /** The note left for this interaction, if any, cleared as it is read. */
  function take(ctx: Koa.Context, uid: string): { message: string; email: string | undefined } | undefined {
    const raw = ctx.cookies.get(name, { signed: true });
    if (!raw) return undefined;
    ctx.cookies.set(name, null, { ...base, path: interactionHref(uid), maxAge: 0 });
    const parsed = decodeCookieJson(raw, noteSchema);
    return parsed ? { message: JOURNEY_NOTES[parsed.note], email: parsed.email } : undefined;
  }

  return { leave, take };
}

export type JourneyNotes = ReturnType<typeof createJourneyNotes>;
