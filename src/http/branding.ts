// The deployment's own look on every page: its name, logo, colour and support contact (settings
// `branding`). The colour reaches pages through a small stylesheet served here, and the logo from
// a file read once at start, so the CSP keeps `style-src 'self'` and `img-src 'self'`; app logos
// (client `logo_uri`) are shown only from the origins the settings list.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type Koa from 'koa';
import type { BrandingSettings } from '../config.js';

export const BRANDING_PATHS = { theme: '/branding/theme.css', logo: '/branding/logo' } as const;

/** What the layout shows; plain strings only. */
export interface BrandView {
  productName: string;
  logoSrc: string | null;
  themeHref: string;
  support: { href: string; text: string } | null;
}

/** #rrggbb darkened by `factor` (0..1): the hover shade of the primary colour. */
function darken(hex: string, factor: number): string {
  return `#${[1, 3, 5].map((at) => Math.round(parseInt(hex.slice(at, at + 2), 16) * (1 - factor)).toString(16).padStart(2, '0')).join('')}`;
}

export function createBranding(settings: BrandingSettings) {
  const theme = `:root { --primary: ${settings.primaryColour}; --primary-hover: ${darken(settings.primaryColour, 0.15)}; }\n`;
  // Content-addressed URLs: a changed colour or logo is fetched again, however long it was cached.
  const version = (content: string | Buffer) => createHash('sha256').update(content).digest('base64url').slice(0, 12);
  const logo = settings.logoFile
    ? { body: readFileSync(settings.logoFile), type: settings.logoFile.toLowerCase().endsWith('.svg') ? 'image/svg+xml' : 'image/png' }
    : undefined;
  const support = settings.supportContact
    ? settings.supportContact.startsWith('https://')
      ? { href: settings.supportContact, text: settings.supportContact }
      : { href: `mailto:${settings.supportContact}`, text: settings.supportContact }
    : null;
  const view: BrandView = {
    productName: settings.productName,
    logoSrc: logo ? `${BRANDING_PATHS.logo}?v=${version(logo.body)}` : null,
    themeHref: `${BRANDING_PATHS.theme}?v=${version(theme)}`,
    support,
  };
  const allowedLogoOrigins = new Set(settings.logoOrigins);

  /** An app's logo_uri when it is https on an allowed origin; else none (never a tracking pixel from anywhere). */
  function appLogo(logoUri: unknown): string | null {
    if (typeof logoUri !== 'string') return null;
    try {
      const url = new URL(logoUri);
      return url.protocol === 'https:' && allowedLogoOrigins.has(url.origin) ? url.href : null;
    } catch {
      return null;
    }
  }

  /** Serves the theme stylesheet and the logo file. */
  const serveBranding: Koa.Middleware = async function serveBranding(ctx, next) {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === BRANDING_PATHS.theme) {
      ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
      ctx.type = 'text/css; charset=utf-8';
      ctx.body = theme;
      return;
    }
    if (ctx.path === BRANDING_PATHS.logo && logo) {
      ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
      ctx.type = logo.type;
      ctx.body = logo.body;
      return;
    }
    await next();
  };

  return { view, appLogo, serveBranding, imageOrigins: [...allowedLogoOrigins] };
}

export type Branding = ReturnType<typeof createBranding>;
