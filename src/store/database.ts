import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { EngramError } from '../errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
import { META_KEYS, readMeta, writeMeta } from './meta.js';
import { toEngramError } from './sqlite-errors.js';

export type Database = BetterSqlite3.Database;

export type OpenDatabaseOptions = {
  /** A file path, or ':memory:'. */
  path: string;
  /** How long to wait for another connection's lock before failing with DB_LOCKED. */
  busyTimeoutMs: number;
  /** Encrypts the file (SQLCipher v4 format) with this passphrase; the same one opens it again. */
  encryptionKey?: string | undefined;
};

const require = createRequire(import.meta.url);

/**
 * The driver: better-sqlite3, or its SQLite3 Multiple Ciphers build (same API)
 * when a key is given. Loaded on demand, so files without a key never need it.
 */
export function openDriver(encrypted: boolean): typeof BetterSqlite3 {
  return encrypted ? (require('better-sqlite3-multiple-ciphers') as typeof BetterSqlite3) : BetterSqlite3;
}

/** Applies the key before anything else touches the file, and proves it right by reading the schema. */
export function unlock(db: Database, key: string, path: string): void {
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  db.pragma(`key = '${key.replaceAll("'", "''")}'`);
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    throw new EngramError('ENCRYPTION_KEY_INVALID', `${path} cannot be decrypted with this key (or is not an encrypted Engram file)`, { cause: error });
  }
}

/**
 * Opens (or creates) an Engram database: WAL, busy timeout, foreign keys,
 * sqlite-vec loaded, and pending migrations applied in one transaction.
 */
export function openDatabase(options: OpenDatabaseOptions): Database {
  const inMemory = options.path === ':memory:';
  const path = inMemory ? options.path : resolve(options.path);
  if (!inMemory) {
    const folder = dirname(path);
    if (!existsSync(folder)) mkdirSync(folder, { recursive: true });
  }
  let db: Database | undefined;
  try {
    db = new (openDriver(options.encryptionKey !== undefined))(path, { timeout: options.busyTimeoutMs });
    if (options.encryptionKey !== undefined) unlock(db, options.encryptionKey, path);
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
    if (!inMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Reading vectors through the page cache is the cost of exact KNN; mapping the file saves about a fifth of it.
    if (!inMemory) db.pragma('mmap_size = 1073741824');
    sqliteVec.load(db);
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw toEngramError(error, `opening ${path}`);
  }
}

function migrate(db: Database): void {
  const apply = db.transaction(() => {
    const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get() !== undefined;
    if (!hasMeta) {
      const foreign = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`).get() as { n: number };
      if (foreign.n > 0) {
        throw new EngramError('DB_INVALID', 'this SQLite file already holds other tables and is not an Engram database; choose another path');
      }
      db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT');
    }
    const current = Number(readMeta(db, META_KEYS.schemaVersion) ?? 0);
    if (current > LATEST_SCHEMA_VERSION) {
      throw new EngramError('DB_INVALID', `this database has schema version ${current}, newer than this Engram (${LATEST_SCHEMA_VERSION}); upgrade Engram`);
    }
    for (const step of MIGRATIONS) {
      if (step.version <= current) continue;
      db.exec(step.sql);
      writeMeta(db, META_KEYS.schemaVersion, String(step.version));
    }
  });
  // IMMEDIATE: two processes opening a new file at once must not both migrate.
  apply.immediate();
}
