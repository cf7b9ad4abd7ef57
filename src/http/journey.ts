// Where a hosted journey (register, verify, reset, unlock) ends: back into the sign-in that sent the
// person here, else to the app they were signing in to, else to their account. Never a dead end, and
// never an open redirect: the only targets are our own /interaction/:uid and a registered client's
// own URIs (RFC 9700 §4.11; ASVS 5.0 V3.7.2).
//
// oidc-provider's interaction cookie is scoped to /interaction/:uid, so account pages cannot see
// it. When the login page sends a person to an account page, a cookie of ours, scoped to /account,
// remembers "this browser came from interaction <uid> of client <id>": signed with COOKIE_SECRETS
// (the browser can carry but not alter it), HttpOnly, SameSite=Lax, and short-lived. The mailed
// link's token carries the client id only (services), so another browser can still go to the app.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { decodeCookieJson, encodeCookieJson } from './cookie-json.js';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATHS, ADMIN_CLIENT_ID, ADMIN_CONSOLE_PATHS } from '../paths.js';

/** oidc-provider's interaction uids are nanoids; anything else is refused before any lookup. */
export const interactionUidSchema = z.string().regex(/^[A-Za-z0-9_-]{10,64}$/);
const clientIdSchema = z.string().min(1).max(255);
const cookieSchema = z.object({ uid: interactionUidSchema, clientId: clientIdSchema });

// Long enough to register and open the mail; an interaction itself lives an hour at most.
const JOURNEY_MAX_AGE_MS = 60 * 60 * 1000;

export interface JourneyEnd {
  href: string;
  /** The link's words: "Continue signing in to X", "Continue to X" or "Sign in to your account". */
  label: string;
  /** The app's name, when there is one. */
  appName?: string;
  kind: 'interaction' | 'app' | 'account';
}

interface ClientLike { clientName?: string | undefined; clientUri?: string | undefined; initiateLoginUri?: string | undefined; redirectUris?: readonly string[] | undefined }

function isWebUrl(value: string | undefined): value is string {
  if (!value) return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Where an app starts a sign-in, in order: its initiate_login_uri (OIDC Core §4, made for exactly
 * this), its client_uri (its home page), the origin of its first web redirect URI. Only web URLs:
 * a native app's custom scheme is not a page to link to. The built-in clients are our own pages.
 */
export function appStartUri(clientId: string, client: ClientLike): string | undefined {
  if (clientId === ACCOUNT_CLIENT_ID) return ACCOUNT_PATHS.home;
  if (clientId === ADMIN_CLIENT_ID) return ADMIN_CONSOLE_PATHS.home;
  if (isWebUrl(client.initiateLoginUri)) return client.initiateLoginUri;
  if (isWebUrl(client.clientUri)) return client.clientUri;
  const redirect = (client.redirectUris ?? []).find(isWebUrl);
  return redirect ? new URL(redirect).origin : undefined;
}

export function createJourneys(options: { provider: Provider; secure: boolean }) {
  const { provider, secure } = options;
  // Not __Host-: that prefix demands Path=/; __Secure- still refuses it over http.
  const name = secure ? '__Secure-gatehouse.journey' : 'gatehouse.journey';
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure, signed: true, overwrite: true, path: ACCOUNT_PATHS.home } as const;

  function read(ctx: Koa.Context): z.infer<typeof cookieSchema> | undefined {
    // Remembered on this very request: the cookie is only on the response so far.
    const fresh = ctx.state.journey as z.infer<typeof cookieSchema> | undefined;
    if (fresh) return fresh;
    return decodeCookieJson(ctx.cookies.get(name, { signed: true }), cookieSchema);
  }

  /** The client of a live interaction; undefined when it is unknown, expired or finished. */
  async function liveInteractionClient(uid: string): Promise<string | undefined> {
    const interaction = await provider.Interaction.find(uid);
    if (!interaction || interaction.exp * 1000 <= Date.now()) return undefined;
    const clientId = interaction.params.client_id;
    return typeof clientId === 'string' && clientIdSchema.safeParse(clientId).success ? clientId : undefined;
  }

  async function appOf(clientId: string): Promise<{ name: string; start: string | undefined } | undefined> {
    const client = await provider.Client.find(clientId).catch(() => undefined);
    if (!client) return undefined;
    return { name: client.clientName ?? clientId, start: appStartUri(clientId, client) };
  }

  /** Remembers an interaction the login page has open in this browser (it is known to be live). */
  function remember(ctx: Koa.Context, uid: string, clientId: string): void {
    ctx.cookies.set(name, encodeCookieJson({ uid, clientId }), { ...cookieOptions, maxAge: JOURNEY_MAX_AGE_MS });
    ctx.state.journey = { uid, clientId };
  }

  /**
   * `?interaction=<uid>` on a link from the login page: remembered when it names a live
   * interaction. A malformed or unknown uid is simply not remembered (the page still shows), so
   * a crafted link leads nowhere but our own page. A link naming someone else's live interaction
   * gains them nothing: continuing it needs oidc-provider's interaction cookie, which only the
   * browser that started it holds, so it ends on the "sign-in expired" page (no login CSRF).
   */
  async function rememberFromQuery(ctx: Koa.Context): Promise<void> {
    const parsed = interactionUidSchema.safeParse(ctx.query.interaction);
    if (!parsed.success) return;
    const clientId = await liveInteractionClient(parsed.data);
    if (clientId) remember(ctx, parsed.data, clientId);
  }

  /** The remembered interaction, while it is still alive. */
  async function current(ctx: Koa.Context): Promise<{ uid: string; clientId: string } | undefined> {
    const journey = read(ctx);
    if (!journey) return undefined;
    const clientId = await liveInteractionClient(journey.uid);
    return clientId === journey.clientId ? journey : undefined;
  }

  /** The client this browser came from, for a mailed link to remember (undefined without one). */
  function clientIdOf(ctx: Koa.Context): string | undefined {
    return read(ctx)?.clientId;
  }

  /** The sign-in to go back to from a form page: the interaction, or the account's own sign-in. */
  async function signInLink(ctx: Koa.Context): Promise<JourneyEnd> {
    const journey = await current(ctx);
    if (journey) {
      const app = await appOf(journey.clientId);
      return { kind: 'interaction', href: interactionHref(journey.uid), label: 'Sign in', ...(app ? { appName: app.name } : {}) };
    }
    return { kind: 'account', href: ACCOUNT_PATHS.home, label: 'Sign in' };
  }

  /**
   * How a finished journey ends. `clientId` is the app a mailed link was asked from (it works in
   * any browser); this browser's remembered interaction wins when it is still alive.
   */
  async function endOf(ctx: Koa.Context, clientId?: string | null): Promise<JourneyEnd> {
    const journey = await current(ctx);
    if (journey) {
      const app = await appOf(journey.clientId);
      const appName = app?.name ?? journey.clientId;
      return { kind: 'interaction', href: interactionHref(journey.uid), label: `Continue signing in to ${appName}`, appName };
    }
    const fallbackClient = clientId ?? read(ctx)?.clientId;
    const app = fallbackClient && clientIdSchema.safeParse(fallbackClient).success ? await appOf(fallbackClient) : undefined;
    if (app?.start) return { kind: 'app', href: app.start, label: `Continue to ${app.name}`, appName: app.name };
    return { kind: 'account', href: ACCOUNT_PATHS.home, label: 'Sign in to your account' };
  }

  return { remember, rememberFromQuery, current, clientIdOf, signInLink, endOf };
}

export function interactionHref(uid: string): string {
  return `/interaction/${encodeURIComponent(uid)}`;
}

export type Journeys = ReturnType<typeof createJourneys>;
