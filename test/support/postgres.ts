import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PostgreSQL for the engine's tests without a server: PGlite (PostgreSQL in
 * WebAssembly) in this process, with pgvector. Startup takes seconds, so a
 * test file starts one and clears it between tests; `clone()` makes a second
 * database far faster than a second start.
 */
export async function startPglite(): Promise<PGlite> {
  return PGlite.create({ extensions: { vector } });
}

/**
 * Serves a PGlite over TCP on 127.0.0.1 (a free port) for `pg` clients.
 * PGlite has one session: the server multiplexes every connection onto it,
 * so clients must use one connection at a time (a pool of max 1), or their
 * transactions would interleave in that one session.
 */
export async function servePglite(db: PGlite): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const port = Number(server.getServerConn().split(':').at(-1));
  return { url: `postgres://postgres:secret-password@127.0.0.1:${port}/postgres?sslmode=disable`, stop: () => server.stop() };
}
