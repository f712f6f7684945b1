import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { EngramError } from '../errors.js';
import { openDatabase, unlock, type Database } from './database.js';
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
 * Encrypts, decrypts or re-keys a database file safely: the change is made
 * on a copy, the copy is opened with the new key and fully verified, and only
 * then replaces the original (an atomic rename). If anything fails the
 * original is untouched. No other process may use the file meanwhile.
 */
export function rekeyDatabase(options: RekeyOptions): void {
  const path = resolve(options.path);
  if (!existsSync(path)) throw new EngramError('NOT_FOUND', `no database at ${path}`);
  const copy = `${path}.rekey-${process.pid}`;
  removeFile(copy);
  try {
    // Fold the write-ahead log into the file, so the copy holds everything.
    openDatabase({ path, busyTimeoutMs: 5_000, encryptionKey: options.key }).close();
    copyFileSync(path, copy);
    changeKey(copy, options);
    const check = openDatabase({ path: copy, busyTimeoutMs: 5_000, encryptionKey: options.newKey });
    const problems = verifyInvariants(check);
    check.close();
    if (problems.length > 0) throw new EngramError('DB_INVALID', `the re-keyed copy failed verification: ${problems.join('; ')}`);
    removeFile(`${path}-wal`);
    removeFile(`${path}-shm`);
    renameSync(copy, path);
  } finally {
    removeFile(copy);
    removeFile(`${copy}-wal`);
    removeFile(`${copy}-shm`);
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

function removeFile(file: string): void {
  rmSync(file, { force: true });
}
