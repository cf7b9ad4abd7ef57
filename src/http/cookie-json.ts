// A small JSON value in a cookie: base64url text, read back only through a schema, so a cookie
// that is missing, garbled or of another shape reads as nothing.
import type { z } from 'zod';

export function encodeCookieJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCookieJson<T>(raw: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (!raw) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
