// Stops an HTTP server the way a load balancer expects during a deploy: no new connections,
// requests already in flight finish, idle keep-alive connections close at once, and whatever
// is still open when the drain time runs out is cut so the process can exit.
import type { Server } from 'node:http';

export async function closeGracefully(server: Server, drainTimeoutMs: number): Promise<{ forced: boolean }> {
  if (!server.listening) return { forced: false };
  let forced = false;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    forced = true;
    server.closeAllConnections();
  }, drainTimeoutMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
  return { forced };
}
