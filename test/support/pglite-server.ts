import { createServer, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Serves an in-process PGlite over TCP to many `pg` connections at once, for
 * tests where several processes (each with a pool) share one database.
 *
 * Why not PGLiteSocketServer: PGlite is ONE PostgreSQL session, and with
 * maxConnections > 1 that server feeds it the messages of all connections in
 * arrival order. The Parse/Bind/Execute/Sync of two connections' parameterized
 * queries then interleave (a query runs with another's parameters:
 * electric-sql/pglite#1046), and one connection's BEGIN…COMMIT takes in the
 * statements of others.
 *
 * Here a connection takes a TURN: from its first message until PGlite answers
 * ReadyForQuery with status 'I' (idle and outside a transaction block), no
 * other connection's message reaches PGlite; the others wait, first come first
 * served. So an extended-protocol batch runs whole, and a transaction runs
 * whole from BEGIN to COMMIT or ROLLBACK. A turn is PGlite's own transaction
 * lock, so in-process calls (db.query, db.transaction) wait for it too.
 *
 * What this is NOT: PostgreSQL with MVCC. Transactions of different
 * connections never overlap here; they run one after another, as if
 * SERIALIZABLE with no conflicts. Serialization failures, deadlocks, and a
 * unique violation because another writer committed the same row meanwhile
 * never happen, so a test on this server cannot exercise the code that
 * handles them; it checks that processes, pools and connections work
 * together. Also, as with any use of PGlite over a socket: session state (SET,
 * temporary tables, named prepared statements, session advisory locks) is
 * shared by every connection, advisory locks exclude nothing, and a
 * connection left idle inside a transaction holds up every other one.
 */
export type PgliteServer = {
  /** postgres://…@127.0.0.1:<port>/postgres for `pg` (and Memory.open). */
  url: string;
  /** Closes every connection (rolling back what one left open) and the listener. PGlite stays open. */
  stop(): Promise<void>;
  /** Connections accepted, turns taken, and the most connections that waited for a turn at once. */
  stats(): { connections: number; turns: number; mostWaiting: number };
};

// Untyped messages a client may send first (protocol codes from the PostgreSQL docs).
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z', its one-byte body is the transaction status
const IDLE = 0x49; // 'I' (the others: 'T' in a transaction, 'E' in a failed one)
const SYNC = Uint8Array.of(0x53, 0, 0, 0, 4); // 'S'
const ROLLBACK = simpleQuery('ROLLBACK');

export async function servePgliteSafely(db: PGlite): Promise<PgliteServer> {
  await db.waitReady;
  const turns = new Turns(db);
  const open = new Map<Socket, Promise<void>>();
  let connections = 0;

  const server = createServer((socket) => {
    connections += 1;
    const done = serveConnection(db, turns, socket);
    open.set(socket, done);
    void done.then(() => open.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };

  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    stats: () => ({ connections, turns: turns.taken, mostWaiting: turns.mostWaiting }),
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const finishing = [...open.values()];
      for (const socket of open.keys()) socket.destroy();
      await Promise.all(finishing);
      await closed;
    },
  };
}

/**
 * Whose turn it is on the one session. Taking a turn enters PGlite's
 * transaction mutex (FIFO) and stays inside it until the turn is given back.
 */
class Turns {
  taken = 0;
  mostWaiting = 0;
  private waiting = 0;
  private holder: object | undefined;
  private end: (() => void) | undefined;

  constructor(private readonly db: PGlite) {}

  holds(who: object): boolean {
    return this.holder === who;
  }

  /** Resolves once `who` has the session (at once if it has it already). */
  async take(who: object): Promise<void> {
    if (this.holder === who) return;
    this.waiting += 1;
    this.mostWaiting = Math.max(this.mostWaiting, this.waiting);
    await new Promise<void>((started) => {
      void this.db._runExclusiveTransaction(
        () =>
          new Promise<void>((end) => {
            this.holder = who;
            this.end = end;
            started();
          }),
      );
    });
    this.waiting -= 1;
    this.taken += 1;
  }

  give(who: object): void {
    if (this.holder !== who) return;
    const end = this.end;
    this.holder = undefined;
    this.end = undefined;
    end?.();
  }
}

/** Runs one client connection until it closes; resolves once its turn (if any) is given back. */
function serveConnection(db: PGlite, turns: Turns, socket: Socket): Promise<void> {
  const me = {};
  let pending = Buffer.alloc(0);
  let startupDone = false;
  let closed = false;
  // This connection's messages run one after another, in the order received.
  let queue = Promise.resolve();

  /** One message to PGlite, its answer to the client; the turn ends when PGlite is idle outside a transaction. */
  const run = async (message: Buffer) => {
    if (closed) return;
    await turns.take(me);
    if (closed) return; // the cleanup below gives the turn back
    const answer: Buffer[] = [];
    await db.runExclusive(() =>
      db.execProtocolRawStream(new Uint8Array(message), {
        onRawData: (data) => {
          const copy = Buffer.from(data); // `data` is a view into WebAssembly memory that is reused
          answer.push(copy);
          if (!socket.destroyed) socket.write(copy);
        },
      }),
    );
    if (readyStatus(Buffer.concat(answer)) === IDLE) turns.give(me);
  };

  /** After the socket closed: if it left PGlite mid-batch or mid-transaction, end both, then give the turn back. */
  const cleanUp = async () => {
    if (!turns.holds(me)) return;
    const discard = { onRawData: () => {} }; // (execProtocolRaw would write to the last stream's callback: PGlite keeps it)
    await db
      .runExclusive(async () => {
        await db.execProtocolRawStream(SYNC, discard); // ends a half-sent extended-protocol batch
        if (db.isInTransaction()) await db.execProtocolRawStream(ROLLBACK, discard);
      })
      .catch(() => {});
    turns.give(me);
  };

  socket.setNoDelay(true);
  socket.on('error', () => {}); // a client that vanishes is a 'close' like any other
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const message = nextMessage();
      if (!message) return;
      queue = queue
        .then(() => run(message))
        .catch(() => {
          socket.destroy(); // PGlite failed: the client sees its connection end
        });
    }
  });

  /** The next complete message from the client that is for PGlite, or undefined (answers the ones that are not). */
  const nextMessage = (): Buffer | undefined => {
    for (;;) {
      if (!startupDone) {
        // Startup phase: untyped messages, int32 length (itself included) then int32 code.
        if (pending.length < 8) return undefined;
        const length = pending.readInt32BE(0);
        const code = pending.readInt32BE(4);
        if (pending.length < length) return undefined;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          socket.write('N'); // no encryption; the client goes on with a StartupMessage
          continue;
        }
        if (code === CANCEL_REQUEST) {
          socket.end(); // nothing to signal: no backend process, and a turn can't be interrupted
          return undefined;
        }
        startupDone = true;
        return Buffer.from(message);
      }
      // Typed messages: one byte type, int32 length (itself included, the type not).
      if (pending.length < 5) return undefined;
      const length = 1 + pending.readInt32BE(1);
      if (pending.length < length) return undefined;
      const message = Buffer.from(pending.subarray(0, length));
      pending = pending.subarray(length);
      if (message[0] === TERMINATE) {
        socket.end(); // not for PGlite: it would end the one session everybody shares
        continue;
      }
      return message;
    }
  };

  return new Promise<void>((resolve) => {
    socket.on('close', () => {
      closed = true;
      queue = queue.then(cleanUp);
      void queue.then(resolve);
    });
  });
}

/** The status byte if the last backend message in `answer` is ReadyForQuery, else undefined. */
function readyStatus(answer: Buffer): number | undefined {
  let last = -1;
  for (let at = 0; at + 5 <= answer.length; at += 1 + answer.readInt32BE(at + 1)) last = at;
  return last >= 0 && answer[last] === READY_FOR_QUERY ? answer[last + 5] : undefined;
}

/** A simple-protocol Query message. */
function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message[0] = 0x51; // 'Q'
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return new Uint8Array(message);
}
