// Every request ends within its time budget, whatever a store does: a database or cache that
// answers slowly or swallows packets must give the caller a prompt 503 temporarily_unavailable
// with Retry-After (RFC 9110 §15.6.4, §10.2.3), not a hang its own timeouts would cut at random.
// Per-call timeouts cannot promise this alone: one request makes several calls in a row.
import type Koa from 'koa';
import type { Logger } from '../logger.js';
import { runUnderDeadline } from '../storage/request-deadline.js';
import type { Renderer } from './render.js';
import { RETRY_AFTER_SECONDS } from './retry-after.js';

const MESSAGE = 'The service is temporarily unavailable. Please try again in a moment.';
const EXPIRED = Symbol('expired');

async function bodyFor(ctx: Koa.Context, json: boolean, renderer: Renderer): Promise<{ type: string; body: string }> {
  if (json) return { type: 'application/json; charset=utf-8', body: JSON.stringify({ error: 'temporarily_unavailable', error_description: MESSAGE }) };
  const body = await renderer.renderPage('errors/error', { title: 'Something went wrong', status: 503, code: 'temporarily_unavailable', message: MESSAGE })
    .catch(() => MESSAGE);
  return { type: body === MESSAGE ? 'text/plain; charset=utf-8' : 'text/html; charset=utf-8', body };
}

/**
 * Written straight to the socket and Koa told to stay out: the work still running may set
 * ctx.status or ctx.body later, and none of it may reach this answer.
 */
async function answerUnavailable(ctx: Koa.Context, json: boolean, renderer: Renderer): Promise<void> {
  const { type, body } = await bodyFor(ctx, json, renderer);
  if (ctx.headerSent) return;
  ctx.respond = false;
  const res = ctx.res;
  for (const name of ['Location', 'Set-Cookie', 'Content-Length', 'Content-Type']) res.removeHeader(name);
  res.statusCode = 503;
  res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function answerWithinBudget(deps: { budgetMs: number; logger: Logger; renderer: Renderer; wantsJson: (ctx: Koa.Context) => boolean }): Koa.Middleware {
  const { budgetMs, logger, renderer, wantsJson } = deps;
  return async function answerWithinBudgetOr503(ctx, next) {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<typeof EXPIRED>((resolve) => { timer = setTimeout(resolve, budgetMs, EXPIRED); });
    const { result: work, pass } = runUnderDeadline(next);
    try {
      if ((await Promise.race([work, expired])) !== EXPIRED) return;
    } finally {
      clearTimeout(timer);
    }
    pass();
    // What the late work does is no longer anyone's answer; only a bug in it is worth a line.
    work.catch((error: unknown) => {
      logger.warn({ err: { name: (error as Error)?.name, message: (error as Error)?.message }, method: ctx.method, path: ctx.path }, 'request failed after its budget ran out');
    });
    if (ctx.headerSent) return;
    logger.warn({ method: ctx.method, path: ctx.path, budgetMs }, 'request over its time budget; answered 503');
    await answerUnavailable(ctx, wantsJson(ctx), renderer);
  };
}
