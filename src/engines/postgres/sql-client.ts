import type { Pool, PoolClient } from 'pg';
import { displayedDatabase } from '../../database-url.js';

/** What the engine asks of a connection: run one statement, get its rows. */
export interface SqlQueryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** How a transaction begins. 'read committed' takes a fresh snapshot per statement; 'repeatable read' one for the whole transaction. */
export type TransactionSpec = { isolation: 'read committed' | 'repeatable read'; readOnly: boolean };

/**
 * The narrow interface the engine needs over either client: single statements
 * outside a transaction, and transactions that keep one connection from BEGIN
 * to COMMIT (ROLLBACK when `work` throws).
 */
export interface SqlClient extends SqlQueryable {
  transaction<T>(spec: TransactionSpec, work: (sql: SqlQueryable) => Promise<T>): Promise<T>;
  /** Where the data lives, for error messages (never with a password). */
  readonly where: string;
  close(): Promise<void>;
}

/**
 * The part of a PGlite instance the engine uses, structurally: PGlite stays a
 * development dependency, and any object of this shape (PGlite, a clone) works.
 */
export interface PGliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(work: (tx: { query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>; exec(sql: string): Promise<unknown> }) => Promise<T>): Promise<T>;
}

function setTransaction(spec: TransactionSpec): string {
  return `ISOLATION LEVEL ${spec.isolation === 'read committed' ? 'READ COMMITTED' : 'REPEATABLE READ'}${spec.readOnly ? ' READ ONLY' : ''}`;
}

/**
 * An in-process PGlite: one session, so PGlite's own mutex already gives a
 * transaction the database to itself until it ends. The caller owns the
 * instance: close() leaves it open.
 */
export function pgliteClient(db: PGliteLike): SqlClient {
  const wrap = (target: Pick<PGliteLike, 'query' | 'exec'>): SqlQueryable => ({
    query: async <R>(sql: string, params: readonly unknown[] = []) => (await target.query<R>(sql, [...params])).rows,
    exec: async (sql: string) => {
      await target.exec(sql);
    },
  });
  return {
    ...wrap(db),
    where: 'the in-process PGlite database',
    transaction: (spec, work) =>
      db.transaction(async (tx) => {
        // PGlite sends a plain BEGIN; SET TRANSACTION as the first statement chooses the isolation.
        await tx.query(`SET TRANSACTION ${setTransaction(spec)}`);
        return work(wrap(tx));
      }),
    close: async () => {},
  };
}

export type PoolOptions = {
  /** Connections the pool may open (default 10). */
  max?: number | undefined;
  /** How long to wait for a connection before failing (default 10 s). */
  connectTimeoutMs?: number | undefined;
};

/** A `pg.Pool` on a postgres:// URL; `pg` is loaded only when a URL is opened. */
export async function poolClient(url: string, options: PoolOptions = {}): Promise<SqlClient> {
  const { default: pg } = await import('pg');
  const max = options.max ?? 10;
  const pool: Pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000 });
  // An idle connection the server drops must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const wrap = (target: Pool | PoolClient): SqlQueryable => ({
    query: async <R>(sql: string, params: readonly unknown[] = []) => (await target.query(sql, [...params])).rows as R[],
    exec: async (sql: string) => {
      await target.query(sql);
    },
  });
  return {
    ...wrap(pool),
    where: redactUrl(url),
    async transaction(spec, work) {
      const connection = await pool.connect();
      let broken: Error | undefined;
      try {
        await connection.query(`BEGIN ${setTransaction(spec)}`);
        const result = await work(wrap(connection));
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await connection.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection itself failed: drop it from the pool instead of reusing it.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      } finally {
        connection.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return displayedDatabase(url);
}
