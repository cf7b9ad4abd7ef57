// OpenID Connect Core §3.1.2.1: the authorization endpoint supports POST with form serialization
// as well as GET. oidc-provider offers POST only with its session cookie at SameSite=None, which
// would give up what SameSite=Lax does against cross-site requests (OWASP CSRF Prevention Cheat
// Sheet). So a POST is answered here as the GET it stands for: its form becomes the query and the
// provider's GET route runs on it, with every check GET has.
import type Koa from 'koa';
import { AppError } from '../errors.js';
import { parseForm, formOf, type FormState } from './body.js';

// oidc-provider's own cap on the bodies it parses; a request object can make the form large.
const AUTHORIZATION_FORM_LIMIT_BYTES = 56 * 1024;

export class ParametersInQueryAndBodyError extends AppError {
  constructor() {
    super('An authorization request sent with POST carries its parameters in the body only.', { status: 400, code: 'invalid_request' });
  }
}

export function acceptAuthorizationPost(authorizationPath: string): Koa.Middleware<FormState> {
  const readForm = parseForm({ limitBytes: AUTHORIZATION_FORM_LIMIT_BYTES });
  return function authorizationPostAsGet(ctx, next) {
    if (ctx.method !== 'POST' || ctx.path !== authorizationPath) return next();
    if (ctx.querystring !== '') throw new ParametersInQueryAndBodyError();
    return readForm(ctx, () => {
      ctx.method = 'GET';
      ctx.querystring = formOf(ctx).toString();
      return next();
    });
  };
}
