// Postgres refuses text holding U+0000, so a %00 in the query string or a path segment would reach
// storage as a 500 (a state, a code, a client_id, an admin API id). It is refused here, before any
// route reads the query or its path parameters, with 400
// invalid_request: JSON for clients that ask for it, the error page for browsers (error-handler.ts).
import type Koa from 'koa';
import { AppError } from '../errors.js';

// Node's parser refuses a raw NUL in the request line; the encoded one is what arrives.
const ENCODED_NUL = /%00/i;

export class NulInQueryError extends AppError {
  constructor() {
    super('The address contains a character that is not allowed.', { status: 400, code: 'invalid_request' });
  }
}

/** Mount inside the error handler, which turns the refusal into its answer. */
export function refuseNulInUrl(): Koa.Middleware {
  return function refuseNulInRequestTarget(ctx, next) {
    // The whole request target: path parameters are decoded from it too.
    if (ENCODED_NUL.test(ctx.url) || ctx.url.includes('\u0000')) throw new NulInQueryError();
    return next();
  };
}
