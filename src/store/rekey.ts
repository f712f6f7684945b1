import { copyFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { EngramError } from '../errors.js';
import { openDatabase, unlock, type Database } from './database.js';
import { ExclusiveAccess, syncFolder } from './exclusive-access.js';
import { toFileError } from './file-errors.js';
import { removeStagingFiles, stagingPath } from './staging-files.js';
import { verifyInvariants } from './verify.js';

const require = createRequire(import.meta.url);

export type RekeyOptions = {
  path: string;
  /** The file's current key; undefined for a plain file. */
  key?: string | undefined;
  /** The key to encrypt with; undefined to decrypt. */
  newKey?: string | undefined;
};

/**
 * Encrypts, decrypts or re-keys a database file safely.
 *
 * It first takes the file for itself (FILE_IN_USE while any other connection
 * has it open) and keeps it until the end, so no write can land in the old
 * file after it was copied. Staging copies left by an interrupted earlier run
 * are removed (they may hold plaintext). The change is made on a copy, the
 * copy is opened with the new key and fully verified, and only then does it
 * replace the original (an atomic rename). If anything fails the original is
 * untouched and no staging file stays behind.
 */
export function rekeyDatabase(options: RekeyOptions): void {
  const path = resolve(options.path);
  const doing = options.newKey === undefined ? 'decrypting' : options.key === undefined ? 'encrypting' : 're-keying';
  const hold = ExclusiveAccess.acquire({ path, key: options.key, doing });
  const copy = stagingPath(path, 'rekey');
  try {
    // Holding the file, no other rekey runs on it: whatever staging files exist are left from a killed one.
    removeStagingFiles(path);
    hold.settle();
    try {
      copyFileSync(path, copy);
      changeKey(copy, options);
    } catch (error) {
      throw toFileError(error, `${doing} ${path}`);
    }
    const check = openDatabase({ path: copy, busyTimeoutMs: 5_000, encryptionKey: options.newKey });
    let problems: string[];
    try {
      problems = verifyInvariants(check);
    } finally {
      check.close();
    }
    if (problems.length > 0) throw new EngramError('DB_INVALID', `the ${doing.replace(/ing$/, 'ed')} copy failed verification, the original is unchanged: ${problems.join('; ')}`);
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    renameSync(copy, path);
    syncFolder(dirname(path));
  } finally {
    removeStagingFiles(path);
    hold.release();
  }
}

function changeKey(file: string, options: RekeyOptions): void {
  const Cipher = require('better-sqlite3-multiple-ciphers') as new (file: string) => Database;
  const db = new Cipher(file);
  try {
    if (options.key !== undefined) unlock(db, options.key, file);
    else {
      db.pragma(`cipher = 'sqlcipher'`);
      db.pragma('legacy = 4');
    }
    db.pragma('journal_mode = DELETE'); // SQLite3 Multiple Ciphers cannot rekey in WAL mode
    db.pragma(`rekey = '${(options.newKey ?? '').replaceAll("'", "''")}'`);
  } finally {
    db.close();
  }
}
