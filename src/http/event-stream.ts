// Server-Sent Events plumbing shared by the account stream (/account/events) and the admin stream
// (/admin/api/events): the response is written straight to the socket (Koa does not respond), kept
// alive through proxies with comments, and ended on shutdown. A stream ends when the client goes,
// which is no error to report.
import type { ServerResponse } from 'node:http';
import type Koa from 'koa';

const HEARTBEAT_MS = 25_000;
// A proxy or browser that reconnects waits this long first (SSE `retry`).
const RETRY_MS = 5_000;

export interface OpenEventStream {
  send(type: string, data: object): void;
  /** Runs when the client goes or the stream is ended. */
  onClose(cleanUp: () => void): void;
  /** Ends the stream from this side. */
  end(): void;
}

export function createEventStreams() {
  const open = new Set<ServerResponse>();
  return {
    open(ctx: Koa.Context): OpenEventStream {
      ctx.respond = false;
      const stream = ctx.res;
      ctx.req.socket.setTimeout(0);
      stream.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        // nginx and similar proxies would otherwise hold events back in a buffer.
        'X-Accel-Buffering': 'no',
      });
      open.add(stream);
      const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
      stream.once('close', () => {
        clearInterval(heartbeat);
        open.delete(stream);
      });
      stream.write(`retry: ${RETRY_MS}\n\n`);
      return {
        send: (type, data) => { stream.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`); },
        onClose: (cleanUp) => { stream.once('close', cleanUp); },
        end: () => { stream.end(); },
      };
    },
    /** Ends every open stream, so a shutdown does not wait for them to drain. */
    endAll(): void {
      for (const stream of open) stream.end();
    },
  };
}
