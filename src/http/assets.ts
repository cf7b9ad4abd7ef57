// Serves the files of one directory (public/) under a URL prefix: flat names only, no directory
// listing, no dotfiles, a short max-age with ETag revalidation (names carry no content hash).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type Koa from 'koa';

const FILE_NAME = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9]+)+$/i;
const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export function serveAssets(options: { dir: string; prefix: string; maxAgeSeconds?: number }): Koa.Middleware {
  const { dir, prefix } = options;
  const cacheControl = `public, max-age=${options.maxAgeSeconds ?? 3600}`;

  return async function serveAsset(ctx, next) {
    if (!ctx.path.startsWith(prefix)) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const name = ctx.path.slice(prefix.length);
    const type = TYPES[path.extname(name).toLowerCase()];
    if (!FILE_NAME.test(name) || !type) return next();
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return next();

    ctx.set('Cache-Control', cacheControl);
    ctx.response.lastModified = info.mtime;
    ctx.response.etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.type = type;
    // HEAD gets the headers only; a stream set as its body would never be read or closed.
    if (ctx.method === 'GET') ctx.body = createReadStream(file);
    ctx.length = info.size;
  };
}
