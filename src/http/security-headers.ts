// Response headers for every answer, ours and oidc-provider's. Set before `next()` so that pages
// rendered inside the provider (errors, logout, form_post) carry them too; oidc-provider adds a
// sha256 of its one inline script (form_post auto-submit) to script-src when it sees a CSP.
import type Koa from 'koa';

const CSP_HEADER = 'Content-Security-Policy';

// No 'unsafe-inline' anywhere: our pages load one stylesheet and no script (ASVS 5.0 V3.4.3).
//
// form-action: Chromium and Safari apply it to every redirect that follows a form submission,
// not only to the form's action (w3c/webappsec-csp#8, open since 2015). Our sign-in forms post
// to 'self' and then end in a redirect to the client's redirect_uri, and form_post pages post to
// it directly, so a fixed `form-action 'self'` breaks sign-in in those browsers (as reported by
// kanidm, fastmcp, hexpm). Dropping the directive, as many IdPs do, gives up its protection
// against injected forms. Instead the base policy stays `'self'` and a response that leads to a
// client widens it with that one origin, already validated against the client's registration
// (as hexpm does): see allowFormTarget() and widenForProtocolRedirect() below.
const BASE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()';

/** RFC 6797: two years, subdomains included; only sent over https. */
const HSTS = 'max-age=63072000; includeSubDomains';

/** The base policy, with img-src widened to the origins app logos may come from (settings, https only). */
function policyWithImageOrigins(imageOrigins: readonly string[]): string {
  if (imageOrigins.length === 0) return BASE_POLICY;
  return BASE_POLICY.replace("img-src 'self' data:", `img-src 'self' data: ${imageOrigins.join(' ')}`);
}

export function securityHeaders(options: { https: boolean; imageOrigins?: readonly string[] }): Koa.Middleware {
  // Decided once: every response, protocol and page alike, gets the same list, set straight on
  // Node's response (Koa's ctx.set adds nothing here: nothing has been sent yet, values are strings).
  const headers: readonly (readonly [string, string])[] = [
    [CSP_HEADER, policyWithImageOrigins(options.imageOrigins ?? [])],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
    ['X-Frame-Options', 'DENY'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Permissions-Policy', PERMISSIONS_POLICY],
    ...(options.https ? [['Strict-Transport-Security', HSTS] as const] : []),
  ];
  return async function setSecurityHeaders(ctx, next) {
    for (const [name, value] of headers) ctx.res.setHeader(name, value);
    await next();
    widenForProtocolRedirect(ctx);
  };
}

/**
 * The CSP source expression for where a URL lives: its origin for http(s), its scheme for a
 * native app's private-use scheme (RFC 8252 §7.1). Undefined for anything else.
 */
export function formTargetSource(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return parsed.origin;
  // A scheme is letters, digits, '+', '-', '.'; nothing that could end a directive.
  if (/^[a-z][a-z0-9+.-]*:$/i.test(parsed.protocol)) return parsed.protocol;
  return undefined;
}

/**
 * Adds where a form on this page may end up to form-action. Only for URLs already validated
 * against the client's registration (redirect_uri, post_logout_redirect_uri).
 */
export function allowFormTarget(ctx: Koa.Context, url: string | undefined): void {
  const source = url === undefined ? undefined : formTargetSource(url);
  const policy = ctx.response.get(CSP_HEADER);
  if (!source || typeof policy !== 'string' || !policy) return;
  const directives = policy.split(';').map((directive) => directive.trim()).filter(Boolean);
  const updated = directives.map((directive) => {
    const [name, ...values] = directive.split(/\s+/);
    if (name !== 'form-action' || values.includes(source)) return directive;
    return [name, ...values, source].join(' ');
  });
  ctx.set(CSP_HEADER, updated.join('; '));
}

interface ProtocolContext {
  oidc?: {
    client?: { redirectUriAllowed(uri: string): boolean; postLogoutRedirectUriAllowed(uri: string): boolean };
    params?: Record<string, unknown>;
  };
}

/** Same answer as ctx.response.is('html') (media type text/html), without type-is on every response. */
function isHtml(ctx: Koa.Context): boolean {
  const type = ctx.res.getHeader('Content-Type');
  return typeof type === 'string' && /^\s*text\/html\s*(;|$)/i.test(type);
}

// oidc-provider's own HTML responses that lead to a client: the form_post page (authorization and
// resume) and the logout pages (end_session). The URL is allowed only when the client's
// registration allows it, so an unregistered redirect_uri never reaches the policy.
function widenForProtocolRedirect(ctx: Koa.Context): void {
  // ctx.oidc exists only on oidc-provider's routes; reading it elsewhere must not create it.
  const descriptor = Object.getOwnPropertyDescriptor(ctx, 'oidc');
  if (!descriptor || !isHtml(ctx)) return;
  const { oidc } = ctx as unknown as ProtocolContext;
  const client = oidc?.client;
  const params = oidc?.params;
  if (!client || !params) return;
  const { redirect_uri: redirectUri, post_logout_redirect_uri: postLogoutRedirectUri } = params;
  if (typeof redirectUri === 'string' && client.redirectUriAllowed(redirectUri)) allowFormTarget(ctx, redirectUri);
  if (typeof postLogoutRedirectUri === 'string' && client.postLogoutRedirectUriAllowed(postLogoutRedirectUri)) {
    allowFormTarget(ctx, postLogoutRedirectUri);
  }
}
