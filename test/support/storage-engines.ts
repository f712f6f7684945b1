import Database from 'better-sqlite3';
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
    return { storage: await connect(), connect, switchModel };
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
    return { storage: await connect(), connect, switchModel };
  },
};

export const ENGINES: EngineUnderTest[] = [SQLITE, POSTGRES];
