import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EngramError } from '../errors.js';
import { openDriver, type Database } from './database.js';

/**
 * Who may use a database file, agreed through a small lock file beside it
 * (`<file>.lock`, an empty SQLite database that is never replaced).
 *
 * Every Engram connection holds a shared lease for as long as it is open (an
 * open read transaction on the lock file: SQLite's SHARED lock). Maintenance
 * that rewrites or replaces the file (encrypt, rekey, decrypt, the reindex
 * swap) takes the exclusive lease, which SQLite grants only when no shared
 * lease is held, in this process or any other; while it is held, connections
 * that start opening the file wait, and open the file only after the
 * maintenance is done. So no connection can hold a descriptor of a file that
 * a rekey swaps out — SQLite names `-wal` and `-shm` after the path, and a
 * connection left on the old file would share them with the new one.
 */
export class FileLease {
  private constructor(private readonly lock: Database) {}

  /** The lease of a connection that reads and writes; waits `busyTimeoutMs` for running maintenance. */
  static shared(path: string, busyTimeoutMs: number): FileLease {
    const lock = openLockFile(path, busyTimeoutMs);
    try {
      lock.exec('BEGIN');
      lock.prepare('SELECT count(*) FROM sqlite_master').get();
      return new FileLease(lock);
    } catch (error) {
      lock.close();
      if (!isBusy(error)) throw error;
      throw new EngramError('DB_LOCKED', `${path} is being encrypted, re-keyed or reindexed by another process; retry when it is done, or raise busyTimeoutMs`, {
        cause: error,
        hint: 'busy-timeout',
      });
    }
  }

  /** The lease of maintenance: FILE_IN_USE when another connection still has the file open after `waitMs`. */
  static exclusive(path: string, options: { waitMs: number; doing: string }): FileLease {
    const lock = openLockFile(path, options.waitMs);
    try {
      lock.pragma('locking_mode = EXCLUSIVE');
      lock.exec('BEGIN EXCLUSIVE');
      lock.exec('COMMIT');
      return new FileLease(lock);
    } catch (error) {
      lock.close();
      if (!isBusy(error)) throw error;
      throw new EngramError(
        'FILE_IN_USE',
        `${path} is open in another connection (an \`engram serve\` or \`engram mcp\` server, an app, another command); ` +
          `${options.doing} needs the file to itself: stop them (or close every Memory on the file) and retry`,
        { cause: error },
      );
    }
  }

  release(): void {
    if (this.lock.open) this.lock.close();
  }
}

export function lockFilePath(path: string): string {
  return `${path}.lock`;
}

function openLockFile(path: string, timeoutMs: number): Database {
  const folder = dirname(path);
  if (!existsSync(folder)) mkdirSync(folder, { recursive: true });
  // Always the same SQLite build, whichever opens the database itself: two builds in one process do not see each other's locks.
  const lock = new (openDriver(false))(lockFilePath(path), { timeout: timeoutMs });
  lock.pragma(`busy_timeout = ${Math.trunc(timeoutMs)}`);
  return lock;
}

export function isBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}
