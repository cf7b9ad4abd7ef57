// One place that turns errors from our routes into answers: a readable page for browsers, JSON
// for clients that prefer it, 503 + Retry-After for storage faults, 500 for bugs. oidc-provider's
// protocol routes catch their own errors (RFC 6749 §5.2 JSON or renderError) before they get here.
import type Koa from 'koa';
import { AppError, RateLimitedError, ValidationError } from '../errors.js';
import { isStorageUnavailable } from '../storage/faults.js';
import { RETRY_AFTER_SECONDS } from './retry-after.js';
import type { Logger } from '../logger.js';
import type { Renderer } from './render.js';
import { errorPageModel } from './error-page.js';


interface Answer {
  status: number;
  code: string;
  message: string;
}

const GENERIC: Record<number, string> = {
  400: 'The request could not be understood.',
  403: 'You are not allowed to do that.',
  404: 'There is nothing here.',
  405: 'That method is not allowed here.',
  503: 'The service is temporarily unavailable. Please try again in a moment.',
  500: 'Something went wrong on our side. Please try again; if it keeps happening, contact the administrator.',
};

function answerFor(error: unknown): Answer {
  if (error instanceof AppError && (error.status < 500 || (error.status === 503 && error.expose))) {
    // A deliberate 503 (busy, mail down) says so in its own words, whatever caused it.
    return { status: error.status, code: error.code, message: error.expose ? error.message : GENERIC[error.status] ?? GENERIC[400]! };
  }
  if (isStorageUnavailable(error)) return { status: 503, code: 'temporarily_unavailable', message: GENERIC[503]! };
  // Koa's ctx.throw / http-errors: a 4xx with expose is a deliberate client error.
  const { status, expose, message } = error as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const text = expose === true && typeof message === 'string' ? message : GENERIC[status] ?? GENERIC[400]!;
    return { status, code: 'invalid_request', message: text };
  }
  return { status: 500, code: 'server_error', message: GENERIC[500]! };
}

function describe(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: typeof error, message: String(error) };
}

// Whether an error answer to this request is JSON: always under a JSON API or a protocol endpoint,
// whatever the caller's Accept header says (curl sends */*, many OAuth clients send none), and
// elsewhere when the caller prefers JSON to HTML.
export function answersJson(jsonPathPrefixes: readonly string[]): (ctx: Koa.Context) => boolean {
  return (ctx) => jsonPathPrefixes.some((prefix) => ctx.path === prefix || ctx.path.startsWith(`${prefix}/`))
    || ctx.accepts('html', 'json') === 'json';
}

export function createErrorHandler(deps: { logger: Logger; renderer: Renderer; jsonPathPrefixes?: readonly string[] }): Koa.Middleware {
  const { logger, renderer } = deps;
  const wantsJson = answersJson(deps.jsonPathPrefixes ?? []);

  return async function handleErrors(ctx, next) {
    try {
      await next();
    } catch (error) {
      const answer = answerFor(error);
      // Name, message and stack only: never the request, whose body may carry a password.
      if (answer.status >= 500) {
        logger.error({ err: describe(error), method: ctx.method, path: ctx.path, status: answer.status }, 'request failed');
      }
      // A response already on its way cannot become an error page; the log is all we can add.
      if (ctx.headerSent || !ctx.writable) return;
      ctx.remove('Location');
      if (answer.status === 503) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
      if (error instanceof RateLimitedError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      ctx.set('Cache-Control', 'no-store');

      if (wantsJson(ctx)) {
        ctx.status = answer.status;
        ctx.body = {
          error: answer.code, error_description: answer.message,
          ...(error instanceof ValidationError && error.fields ? { fields: error.fields } : {}),
        };
        return;
      }
      try {
        // An expired or unknown sign-in gets the protocol pages' plain words and a way back to the
        // app; our other messages are already written for the person.
        const model = answer.code === 'interaction_expired'
          ? errorPageModel({ status: answer.status, code: answer.code, detail: answer.message, app: error instanceof AppError ? error.app : undefined })
          : {
            title: answer.status >= 500 ? 'Something went wrong' : 'We could not complete this request',
            status: answer.status, code: answer.code, message: answer.message,
          };
        await renderer.render(ctx, 'errors/error', model, answer.status);
      } catch (renderError) {
        logger.error({ err: describe(renderError) }, 'error page failed to render');
        ctx.status = answer.status;
        ctx.type = 'text/plain';
        ctx.body = answer.message;
      }
    }
  };
}
