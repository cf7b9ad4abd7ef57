// A loopback TCP proxy in front of a storage server, so a test can take the server "away"
// (connections refused and cut), swallow its traffic (a blackhole: connections stay open and
// nothing comes back), or slow it down, and bring it back without touching the real server.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Refuse new connections and cut the open ones, as if the server went down. */
  stop(): Promise<void>;
  /** Accept connections again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** Keep connections open but deliver nothing either way until heal(), as a network partition does (TCP then retransmits). */
  blackhole(): void;
  /** Deliver every chunk both ways this much later. */
  slow(delayMs: number): void;
  /** Forward at once again (after blackhole or slow). */
  heal(): void;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let mode: { kind: 'forward' } | { kind: 'blackhole' } | { kind: 'slow'; delayMs: number } = { kind: 'forward' };

  // Chunks held back by a blackhole, delivered in order when it heals.
  let held: { to: Socket; chunk: Buffer }[] = [];

  function relay(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (mode.kind === 'blackhole') held.push({ to, chunk });
      else if (mode.kind === 'slow') setTimeout(() => to.destroyed || to.write(chunk), mode.delayMs);
      else if (!to.destroyed) to.write(chunk);
    });
  }

  function heal(): void {
    mode = { kind: 'forward' };
    for (const { to, chunk } of held) if (!to.destroyed) to.write(chunk);
    held = [];
  }

  async function listen(): Promise<void> {
    if (server) return;
    server = createServer((client) => {
      const upstream = createConnection(target);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      relay(client, upstream);
      relay(upstream, client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', resolve);
    });
    port = (server.address() as { port: number }).port;
  }

  async function stop(): Promise<void> {
    held = [];
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  }

  await listen();
  return {
    get port() { return port; },
    stop,
    start: listen,
    close: stop,
    blackhole() { mode = { kind: 'blackhole' }; },
    slow(delayMs: number) { mode = { kind: 'slow', delayMs }; },
    heal,
  };
}
