// A small, size-limited parser for the urlencoded forms our pages post. Protocol endpoints parse
// their own bodies inside oidc-provider; this runs only on routes that ask for it.
import type { IncomingMessage } from 'node:http';
import type Koa from 'koa';
import { AppError } from '../errors.js';

/** ASVS 5.0 V4.3: bound request bodies. Our forms carry an email, a password and a token. */
export const FORM_LIMIT_BYTES = 16 * 1024;

export class PayloadTooLargeError extends AppError {
  constructor() {
    super('The form was too large to accept.', { status: 413, code: 'payload_too_large' });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super('This form must be sent as application/x-www-form-urlencoded.', { status: 415, code: 'unsupported_media_type' });
  }
}

/** Postgres refuses text holding U+0000, so a form carrying one is refused here, not with a 500 later. */
export class NulCharacterError extends AppError {
  constructor() {
    super('The form contains a character that is not allowed.', { status: 400, code: 'invalid_input' });
  }
}

export interface FormState {
  form?: URLSearchParams;
}

function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(new PayloadTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    // Past the limit we stop listening instead of buffering the rest (Content-Length may be
    // absent); the socket is not destroyed so the 413 still reaches the client.
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limitBytes) {
        cleanup();
        req.pause();
        reject(new PayloadTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function isUrlencoded(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** Parses the request body into ctx.state.form; 415 for another content type, 413 past the limit, 400 with a NUL. */
export function parseForm(options: { limitBytes?: number } = {}): Koa.Middleware<FormState> {
  const limitBytes = options.limitBytes ?? FORM_LIMIT_BYTES;
  return async function parseFormBody(ctx, next) {
    if (!isUrlencoded(ctx.get('content-type'))) throw new UnsupportedMediaTypeError();
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readBody(ctx.req, limitBytes));
    } catch (error) {
      // The unread rest of an oversized body would otherwise be parsed as the next request.
      if (error instanceof PayloadTooLargeError) ctx.set('Connection', 'close');
      throw error;
    }
    for (const [name, value] of form) if (name.includes('\u0000') || value.includes('\u0000')) throw new NulCharacterError();
    ctx.state.form = form;
    await next();
  };
}

/** The parsed form of this request; parseForm must have run before. */
export function formOf(ctx: { state: FormState }): URLSearchParams {
  const form = ctx.state.form;
  if (!form) throw new Error('formOf() called before parseForm()');
  return form;
}

/** The form as a plain object of first values, for zod; repeated fields keep their first value. */
export function formFields(form: URLSearchParams): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of form) if (!(name in fields)) fields[name] = value;
  return fields;
}

/** JSON bodies of the admin API: a client's metadata with its URIs fits in far less. */
export const JSON_LIMIT_BYTES = 64 * 1024;

export class InvalidJsonError extends AppError {
  constructor() {
    super('The request body is not valid JSON.', { status: 400, code: 'invalid_input' });
  }
}

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Reads a JSON request body: 415 for another content type, 413 past the limit, 400 for bad JSON or
 * a NUL anywhere (Postgres refuses text holding U+0000). An empty body reads as `undefined`.
 */
export async function readJson(ctx: Koa.Context, limitBytes = JSON_LIMIT_BYTES): Promise<unknown> {
  const declared = ctx.get('content-length');
  if ((declared === '' || declared === '0') && !ctx.get('transfer-encoding')) return undefined;
  if (!isJson(ctx.get('content-type'))) {
    throw new AppError('This request body must be sent as application/json.', { status: 415, code: 'unsupported_media_type' });
  }
  let text: string;
  try {
    text = await readBody(ctx.req, limitBytes);
  } catch (error) {
    if (error instanceof PayloadTooLargeError) ctx.set('Connection', 'close');
    throw error;
  }
  if (text.trim() === '') return undefined;
  if (text.includes('\u0000') || /\\u0000/i.test(text)) throw new NulCharacterError();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidJsonError();
  }
}
