// The words of an error page a person sees: a plain title and sentence for each error they can
// meet, one next step, and the technical text (code and the library's description) kept to a small
// line for the app's developer. Used by oidc-provider's renderError (oidc/pages.ts) and by our own
// error handler (error-handler.ts).
import { ACCOUNT_PATHS } from '../paths.js';

export interface NextStep {
  label: string;
  href: string;
}

interface Words {
  title: string;
  message: string;
  /** Whether "Go back to <app>" may be offered: never when the app's own return address is in doubt. */
  appLink: boolean;
}

const EXPIRED: Words = {
  title: 'This sign-in can no longer go on',
  message: 'The sign-in took too long, or it was started in another browser. Start again from the app.',
  appLink: true,
};

const WORDS: Record<string, Words> = {
  invalid_client: {
    title: 'This app is not known here',
    message: 'The app that sent you here is not registered with this sign-in service, or its registration has changed. You cannot sign in to it from here; tell the app\'s owner.',
    appLink: false,
  },
  // RFC 9700 §4.1: never send the person to a return address the app did not register.
  invalid_redirect_uri: {
    title: 'This app asked to send you somewhere unexpected',
    message: 'The app asked to send you back to an address it has not registered, so we stopped here to keep your account safe. Tell the app\'s owner.',
    appLink: false,
  },
  invalid_request: {
    title: 'The app sent an incomplete sign-in request',
    message: 'The request from the app is missing something or is not well formed, so the sign-in cannot go on. Try again from the app; if it happens again, tell the app\'s owner.',
    appLink: true,
  },
  unauthorized_client: {
    title: 'This app may not sign you in this way',
    message: 'The app asked to sign you in in a way it is not allowed to use here. Tell the app\'s owner.',
    appLink: true,
  },
  unsupported_response_type: {
    title: 'This app asked for something not offered here',
    message: 'The app asked for a kind of answer this sign-in service does not give. Tell the app\'s owner.',
    appLink: true,
  },
  invalid_scope: {
    title: 'This app asked for access that is not offered',
    message: 'The app asked for access to something this sign-in service does not offer, or not to this app. Tell the app\'s owner.',
    appLink: true,
  },
  access_denied: {
    title: 'Access was not given',
    message: 'The sign-in ended without giving the app access.',
    appLink: true,
  },
  invalid_target: {
    title: 'This app asked for access to an unknown service',
    message: 'The app asked for access to a service this sign-in service does not know. Tell the app\'s owner.',
    appLink: true,
  },
  request_not_supported: {
    title: 'The app sent a request this service does not accept',
    message: 'The app sent its sign-in request in a form this sign-in service does not accept. Tell the app\'s owner.',
    appLink: true,
  },
  login_required: EXPIRED,
  session_not_found: EXPIRED,
  interaction_expired: EXPIRED,
  server_error: {
    title: 'Something went wrong on our side',
    message: 'Please try again in a moment. If it keeps happening, contact the administrator.',
    appLink: true,
  },
  temporarily_unavailable: {
    title: 'The sign-in service is busy',
    message: 'Please try again in a moment.',
    appLink: true,
  },
};

const FALLBACK: Words = {
  title: 'We could not complete this request',
  message: 'The app\'s request could not be completed. Try again from the app; if it happens again, tell the app\'s owner.',
  appLink: true,
};

/** The client as far as the page needs it: its name, home page and registered return addresses. */
export interface KnownApp {
  name: string;
  clientUri?: string | undefined;
  /** A return address the request named, already checked against the registration. */
  registeredRedirectUri?: string | undefined;
}

/** What knownApp reads of an oidc-provider Client. */
export interface ClientFacts {
  clientId: string;
  clientName?: string | undefined;
  clientUri?: unknown;
  redirectUris?: readonly string[] | undefined;
  redirectUriAllowed(uri: string): boolean;
}

/**
 * The page's view of a client and a return address it registered: the one the request named when
 * the registration has it, else the first registered one. Never an unregistered address.
 */
export function knownApp(client: ClientFacts, namedRedirectUri: unknown): KnownApp {
  const named = typeof namedRedirectUri === 'string' && client.redirectUriAllowed(namedRedirectUri) ? namedRedirectUri : undefined;
  return {
    name: client.clientName ?? client.clientId,
    clientUri: typeof client.clientUri === 'string' ? client.clientUri : undefined,
    registeredRedirectUri: named ?? client.redirectUris?.[0],
  };
}

function webOrigin(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  try {
    const url = new URL(uri);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where "Go back to <app>" may lead: the app's registered home page, else the site of a return
 * address the app registered (its origin only: the address itself expects a code). Undefined when
 * neither is known, so no link goes anywhere the app did not register.
 */
export function appHref(app: KnownApp): string | undefined {
  const home = app.clientUri && webOrigin(app.clientUri) ? app.clientUri : undefined;
  return home ?? webOrigin(app.registeredRedirectUri);
}

export interface ErrorPageInput {
  status: number;
  code: string;
  /** The technical text: the library's description, or our own message. */
  detail: string | undefined;
  app?: KnownApp | undefined;
}

/** The model errors/error.ejs draws. */
export function errorPageModel(input: ErrorPageInput) {
  const words = WORDS[input.code] ?? (input.status >= 500 ? WORDS.server_error! : FALLBACK);
  const href = words.appLink && input.app ? appHref(input.app) : undefined;
  const nextStep: NextStep = href
    ? { label: `Go back to ${input.app!.name}`, href }
    : { label: 'Sign in again', href: ACCOUNT_PATHS.home };
  return {
    title: words.title, message: words.message, nextStep, status: input.status, code: input.code, detail: input.detail ?? null,
  };
}
