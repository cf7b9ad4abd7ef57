// The pages oidc-provider renders itself (protocol errors, the RP-initiated logout confirmation
// and its success page), drawn with our views so they share the layout and the CSP.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errorPageModel, knownApp } from '../http/error-page.js';
import type { Renderer } from '../http/render.js';
import type { ProviderOptionsInput } from './options.js';
import { isApiRoute } from './protocol-paths.js';

type ErrorOut = { error: string; error_description?: string | undefined };

function clientDisplayName(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc?.client;
  if (!client) return undefined;
  return client.clientName ?? client.clientId;
}

export function createProviderPages(renderer: Renderer): ProviderOptionsInput['pages'] {
  return {
    // Only `error` and `error_description`: never the stack, the state or the raw exception.
    async renderError(ctx, out: ErrorOut) {
      // oidc-provider asks for a page whenever Accept prefers HTML; a client-facing endpoint
      // answers RFC 6749 §5.2 JSON whatever the client accepts.
      if (isApiRoute(ctx.oidc?.route)) {
        ctx.body = out;
        return;
      }
      const status = ctx.status >= 400 ? ctx.status : 400;
      // Plain words and a next step for the person; the library's text only in the detail line.
      const client = ctx.oidc?.client;
      const app = client && knownApp(client, (ctx.oidc.params as Record<string, unknown> | undefined)?.redirect_uri);
      await renderer.render(ctx, 'errors/error', errorPageModel({ status, code: out.error, detail: out.error_description, app }), status);
    },

    // `form` is oidc-provider's own markup (its confirm URL and a random xsrf secret), placed
    // as is; the buttons submit it through form="op.logoutForm", so no script is needed.
    async logoutSource(ctx, form) {
      await renderer.render(ctx, 'logout/confirm', {
        title: 'Sign out',
        clientName: clientDisplayName(ctx) ?? null,
        logoutForm: form,
      });
    },

    async postLogoutSuccessSource(ctx) {
      await renderer.render(ctx, 'logout/success', {
        title: 'Signed out',
        clientName: clientDisplayName(ctx) ?? null,
      });
    },
  };
}
