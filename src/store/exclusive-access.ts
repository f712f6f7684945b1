import { closeSync, existsSync, fsyncSync, openSync } from 'node:fs';
import * as sqliteVec from 'sqlite-vec';
import { EngramError } from '../errors.js';
import { openDriver, unlock, type Database } from './database.js';
import { FileLease, isBusy } from './file-lease.js';
import { toEngramError } from './sqlite-errors.js';

/** How long maintenance waits for other connections to close before it refuses with FILE_IN_USE. */
export const EXCLUSIVE_WAIT_MS = 2_000;

export type ExclusiveOptions = {
  path: string;
  key?: string | undefined;
  /** What the caller is about to do, for the error message ("encrypting"). */
  doing: string;
  waitMs?: number | undefined;
};

/**
 * A connection that holds the database file for itself: while it is open no
 * other Engram connection, in this process or another, has the file open, and
 * none can open it until `release` (see FileLease). The connection itself is
 * in EXCLUSIVE locking mode too, so a foreign connection (the sqlite3 shell)
 * that has the file open is also refused.
 */
export class ExclusiveAccess {
  private constructor(
    readonly db: Database,
    private readonly lease: FileLease,
  ) {}

  static acquire(options: ExclusiveOptions): ExclusiveAccess {
    if (!existsSync(options.path)) throw new EngramError('FILE_NOT_FOUND', `no database at ${options.path}`);
    const waitMs = options.waitMs ?? EXCLUSIVE_WAIT_MS;
    const lease = FileLease.exclusive(options.path, { waitMs, doing: options.doing });
    let db: Database | undefined;
    try {
      db = new (openDriver(options.key !== undefined))(options.path, { fileMustExist: true, timeout: waitMs });
      if (options.key !== undefined) unlock(db, options.key, options.path);
      // Before anything reads the file: in this mode the connection never uses the shared WAL index.
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma(`busy_timeout = ${Math.trunc(waitMs)}`);
      try {
        db.exec('BEGIN EXCLUSIVE');
        db.exec('COMMIT');
      } catch (error) {
        if (isBusy(error)) throw inUse(options, error);
        throw error;
      }
      sqliteVec.load(db);
      return new ExclusiveAccess(db, lease);
    } catch (error) {
      db?.close();
      lease.release();
      throw toEngramError(error, `${options.doing} ${options.path}`);
    }
  }

  /**
   * Folds the write-ahead log into the file and leaves WAL mode, keeping the
   * lock: the file alone then holds everything, so it can be copied.
   */
  settle(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.pragma('journal_mode = MEMORY');
    // Leaving WAL mode may drop to a shared lock; take the exclusive one back for good.
    this.db.exec('BEGIN EXCLUSIVE');
    this.db.exec('COMMIT');
  }

  release(): void {
    if (this.db.open) this.db.close();
    this.lease.release();
  }
}

function inUse(options: ExclusiveOptions, cause: unknown): EngramError {
  return new EngramError(
    'FILE_IN_USE',
    `${options.path} is open in another program (a foreign SQLite connection); ${options.doing} needs the file to itself: close it and retry`,
    { cause },
  );
}

/** Makes a rename or a new file in `folder` durable (the directory entry itself is synced). */
export function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems cannot sync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
