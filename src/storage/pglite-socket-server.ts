// Every connection to the embedded database shares PGlite's one backend session, so the socket
// server must hand that session to one connection at a time for a whole exchange, not for one
// message. pglite-socket's own queue pins a connection only inside a transaction block: between
// an extended-query Parse and its Sync there is none, so another connection's Parse replaced the
// unnamed statement and a Bind met the wrong statement ("bind message supplies 1 parameters, but
// prepared statement requires 9", or "portal does not exist"). It also stopped for good after one
// failed message. This queue keeps the session with a connection until the server is ready for a
// new query (after Sync or a simple Query) outside a transaction block, and goes on after failures.
// The server around it is pglite-socket's connection handler on a plain net server.
import { createServer, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';

const SIMPLE_QUERY = 0x51; // 'Q'
const SYNC = 0x53; // 'S'
const TERMINATE = 0x58; // 'X'
const SYNC_MESSAGE = new Uint8Array([SYNC, 0, 0, 0, 4]);

interface Pending {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

/**
 * True when the backend answers `message` with ReadyForQuery. A startup message has no type
 * byte: it begins with its length, whose first byte is 0.
 */
function endsExchange(message: Uint8Array): boolean {
  const type = message[0];
  return type === undefined || type === 0 || type === SIMPLE_QUERY || type === SYNC || type === TERMINATE;
}

/** The interface pglite-socket's handlers call on their server's queue. */
class PGliteSessionQueue {
  private readonly waiting: Pending[] = [];
  /** The connection the session belongs to until its exchange or transaction ends. */
  private owner: number | undefined;
  private draining = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.waiting.push({ handlerId, message, onData, resolve, reject });
      void this.drain();
    });
  }

  getQueueLength(): number {
    return this.waiting.length;
  }

  clearQueueForHandler(handlerId: number): void {
    for (let index = this.waiting.length - 1; index >= 0; index -= 1) {
      const pending = this.waiting[index]!;
      if (pending.handlerId !== handlerId) continue;
      this.waiting.splice(index, 1);
      pending.reject(new Error('connection closed'));
    }
  }

  /** A connection left while it held the session: end its exchange and roll back its transaction. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    try {
      await this.db.runExclusive(() => this.db.execProtocolRaw(SYNC_MESSAGE));
      if (this.inTransaction()) await this.db.exec('ROLLBACK');
    } finally {
      this.owner = undefined;
      void this.drain();
    }
  }

  private inTransaction(): boolean {
    try {
      return this.db.isInTransaction();
    } catch {
      return false; // closed: nothing is left to keep
    }
  }

  private next(): Pending | undefined {
    const index = this.owner === undefined ? 0 : this.waiting.findIndex((pending) => pending.handlerId === this.owner);
    return index === -1 ? undefined : this.waiting.splice(index, 1)[0];
  }

  /** Runs queued messages in turn; stops while the owner of the session has sent nothing more yet. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let pending = this.next(); pending !== undefined; pending = this.next()) {
        let bytes = 0;
        let failure: unknown;
        try {
          await this.db.runExclusive(() => this.db.execProtocolRawStream(pending!.message, {
            onRawData: (data) => {
              bytes += data.length;
              pending!.onData(data);
            },
          }));
        } catch (error) {
          failure = error;
        }
        this.owner = this.inTransaction() || !endsExchange(pending.message) ? pending.handlerId : undefined;
        if (failure === undefined) pending.resolve(bytes);
        else pending.reject(failure);
      }
    } finally {
      this.draining = false;
    }
  }
}

export interface PGliteSocketServer {
  stop(): Promise<void>;
}

/** Serves `db` on the Unix socket at `socketPath`, to at most `maxConnections` connections. */
export async function servePGliteOnSocket(db: PGlite, socketPath: string, maxConnections: number): Promise<PGliteSocketServer> {
  await db.waitReady;
  // The handler's option is typed as pglite-socket's own queue class; ours keeps its interface.
  const queryQueue = new PGliteSessionQueue(db) as unknown as PGLiteSocketHandlerOptions['queryQueue'];
  const handlers = new Set<PGLiteSocketHandler>();
  const server = createServer((socket: Socket) => {
    if (handlers.size >= maxConnections) {
      socket.destroy();
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue, closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    async stop() {
      await Promise.all([...handlers].map((handler) => handler.detach(true)));
      handlers.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
