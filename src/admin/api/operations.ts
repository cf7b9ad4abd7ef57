// How an admin API route is declared: one call gives the route its handler, its checked input and
// its entry in the OpenAPI document, so the document cannot leave a route out. Bodies and queries
// are parsed with the route's zod schema before the handler runs; a refusal is a 400 whose
// `fields` names each bad field (`redirect_uris.0`) with what is wrong with it.
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { readJson } from '../../http/body.js';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface Operation<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  /** One line for the document's index. */
  summary: string;
  /** The document's section: users, clients, audit, … */
  tag: string;
  description?: string;
  body?: B;
  query?: Q;
  /** The success status and what it carries; 200 unless said. */
  success?: { status?: number; description: string; schema?: z.ZodType };
  /** Other answers worth naming beside the common ones (400, 401, 403, 404, 429, 503). */
  responses?: Record<number, string>;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export type Handler<B, Q> = (ctx: Koa.Context, input: { body: Parsed<B>; query: Parsed<Q> }) => Promise<unknown> | unknown;

export interface RecordedOperation {
  method: Method;
  /** Koa style, relative to /admin/api: `/users/:id`. */
  path: string;
  operation: Operation<z.ZodType | undefined, z.ZodType | undefined>;
}

/** zod's issues as `{ "field.path": "message" }`, first issue per field. */
export function fieldProblems(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    // A strict object names the keys it does not know; each is a field of its own.
    if (issue.code === 'unrecognized_keys') {
      for (const name of issue.keys) fields[[...issue.path.map(String), name].join('.')] ??= 'not a field this route takes';
      continue;
    }
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(input)';
    if (!(key in fields)) fields[key] = issue.message;
  }
  return fields;
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = fieldProblems(parsed.error);
  const [first] = Object.entries(fields);
  throw new ValidationError(`${what}: ${first![0]}: ${first![1]}`, { fields });
}

/** A query as zod reads it: each parameter's first value. */
function queryOf(ctx: Koa.Context): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.query)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) query[name] = first;
  }
  return query;
}

export function createApiRoutes() {
  const router = new Router();
  const operations: RecordedOperation[] = [];

  function add(method: Method) {
    return <B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
      path: string, operation: Operation<B, Q>, handler: Handler<B, Q>,
    ): void => {
      operations.push({ method, path, operation: operation as RecordedOperation['operation'] });
      const successStatus = operation.success?.status ?? 200;
      router[method](path, async (ctx) => {
        const query = (operation.query ? parseInput(operation.query, queryOf(ctx), 'query') : undefined) as Parsed<Q>;
        let body = undefined as Parsed<B>;
        if (operation.body) body = parseInput(operation.body, (await readJson(ctx)) ?? {}, 'body') as Parsed<B>;
        const answer = await handler(ctx as unknown as Koa.Context, { body, query });
        if (answer !== undefined) {
          ctx.status = successStatus;
          ctx.body = answer;
        } else if (ctx.body === undefined && ctx.respond !== false) {
          ctx.status = 204;
        }
      });
    };
  }

  return {
    router, operations,
    get: add('get'), post: add('post'), patch: add('patch'), put: add('put'), delete: add('delete'),
  };
}

export type ApiRoutes = ReturnType<typeof createApiRoutes>;
