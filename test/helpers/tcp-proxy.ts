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
  /** Hold every chunk, in either direction, this long before passing it on, in order (0: pass at once); ends a blackhole. */
  setLatency(ms: number): void;
  /** Deliver every chunk both ways this much later (setLatency under another name). */
  slow(delayMs: number): void;
  /** Keep connections open but deliver nothing either way until heal() or setLatency(), as a network partition does (TCP then retransmits). */
  blackhole(): void;
  /** Forward at once again, first delivering in order what a blackhole held back. */
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let latencyMs = 0;
  // Chunks held back by a blackhole, delivered in order when it ends.
  let held: { to: Socket; chunk: Buffer }[] | undefined;

  // Chunks keep their order: each leaves no earlier than the one before it.
  function forward(from: Socket, to: Socket): void {
    let lastDueAt = 0;
    from.on('data', (chunk: Buffer) => {
      if (held) {
        held.push({ to, chunk });
        return;
      }
      if (latencyMs === 0 && lastDueAt <= Date.now()) {
        to.write(chunk);
        return;
      }
      lastDueAt = Math.max(Date.now() + latencyMs, lastDueAt);
      setTimeout(() => { if (!to.destroyed) to.write(chunk); }, lastDueAt - Date.now());
    });
  }

  function setLatency(ms: number): void {
    const release = held ?? [];
    held = undefined;
    latencyMs = ms;
    for (const { to, chunk } of release) if (!to.destroyed) to.write(chunk);
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
      forward(client, upstream);
      forward(upstream, client);
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
    held = undefined;
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
    setLatency,
    slow: setLatency,
    blackhole() {
      held ??= [];
    },
    heal: () => setLatency(0),
    close: stop,
  };
}
