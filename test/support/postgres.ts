import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PostgresStorage } from '../../src/engines/postgres/postgres-storage.js';
import { closeAfterTest } from './test-memory.js';

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

let template: Promise<PGlite> | undefined;
/**
 * A fresh, empty PostgreSQL database: a clone of one PGlite started per test
 * process (a start takes seconds, a clone about one), closed after the test.
 */
export async function freshPglite(): Promise<PGlite> {
  template ??= startPglite();
  const db = (await (await template).clone()) as PGlite;
  closeAfterTest(() => db.close());
  return db;
}

/** Starts this process's template PGlite now (see freshPglite). */
export async function warmPglite(): Promise<void> {
  template ??= startPglite();
  await template;
}

/** The PostgreSQL engine on a fresh PGlite database, closed after the test. */
export async function freshPostgresStorage(db?: PGlite): Promise<PostgresStorage> {
  const storage = await PostgresStorage.open({ pglite: db ?? (await freshPglite()) });
  closeAfterTest(() => storage.close());
  return storage;
}
