import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { RECORD_TABLES as POSTGRES_TABLES } from '../../src/engines/postgres/record-tables.js';
import type { RecordTables } from '../../src/storage/record-types.js';
import { RECORD_TABLES as SQLITE_TABLES } from '../../src/store/record-tables.js';
import { join } from 'node:path';
import type { Storage } from '../../src/storage/storage.js';
import { SqliteStorage } from '../../src/store/sqlite-storage.js';
import { freshPglite, freshPostgresStorage } from './postgres.js';
import { tempDir } from './test-memory.js';

/**
 * Every storage engine the contract suite runs against. `open` gives a fresh,
 * empty store; `connect` another connection to that same store (as another
 * process would have).
 */
export type EngineUnderTest = {
  name: string;
  open(): Promise<OpenedEngine>;
};

export type OpenedEngine = {
  storage: Storage;
  /** Another connection to the same store. */
  connect(): Promise<Storage>;
  /** Switches the store's embedding model behind every connection's back, as a finished reindex does. */
  switchModel(id: string, dimension: number): Promise<void>;
  /** Every table of the store's schema (virtual tables' shadow tables left out), with its row count. */
  tables(): Promise<Map<string, number>>;
  /** Where the engine says each record type lives. */
  recordTables: RecordTables;
};

export const SQLITE: EngineUnderTest = {
  name: 'sqlite',
  async open() {
    const path = join(tempDir(), 'memory.db');
    const connect = async () => SqliteStorage.open({ path, busyTimeoutMs: 5_000 });
    const switchModel = async (id: string, dimension: number) => {
      const db = new Database(path);
      db.prepare(`UPDATE meta SET value = ? WHERE key = 'embedding_model'`).run(id);
      db.prepare(`UPDATE meta SET value = ? WHERE key = 'embedding_dimension'`).run(String(dimension));
      db.close();
    };
    const tables = async () => {
      const db = new Database(path, { readonly: true });
      sqliteVec.load(db);
      try {
        const all = db.prepare(`SELECT name, sql LIKE 'CREATE VIRTUAL%' AS virtual FROM sqlite_master WHERE type = 'table'`).all() as { name: string; virtual: number }[];
        const virtual = all.filter((t) => t.virtual).map((t) => t.name);
        const own = all.filter((t) => !virtual.some((v) => t.name.startsWith(`${v}_`)));
        return new Map(own.map((t) => [t.name, Number(db.prepare(`SELECT count(*) FROM "${t.name}"`).pluck().get())]));
      } finally {
        db.close();
      }
    };
    return { storage: await connect(), connect, switchModel, tables, recordTables: SQLITE_TABLES };
  },
};

export const POSTGRES: EngineUnderTest = {
  name: 'postgres (PGlite)',
  async open() {
    const db = await freshPglite();
    const connect = () => freshPostgresStorage(db);
    const switchModel = async (id: string, dimension: number) => {
      await db.query(`UPDATE engram_meta SET value = $1 WHERE key = 'embedding_model'`, [id]);
      await db.query(`UPDATE engram_meta SET value = $1 WHERE key = 'embedding_dimension'`, [String(dimension)]);
    };
    const tables = async () => {
      const names = (await db.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`)).rows.map((r) => r.tablename);
      const counts = new Map<string, number>();
      for (const name of names) counts.set(name, Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`)).rows[0]?.n));
      return counts;
    };
    return { storage: await connect(), connect, switchModel, tables, recordTables: POSTGRES_TABLES };
  },
};

export const ENGINES: EngineUnderTest[] = [SQLITE, POSTGRES];
