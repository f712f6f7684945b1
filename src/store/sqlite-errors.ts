import { EngramError } from '../errors.js';

/** Turns a SQLite failure into an EngramError with a code a caller can act on. */
export function toEngramError(error: unknown, doing: string): EngramError {
  if (error instanceof EngramError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : String(error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new EngramError('DB_LOCKED', `the database stayed locked by another connection while ${doing}; retry, or raise busyTimeoutMs`, {
      cause: error,
      hint: 'busy-timeout',
    });
  }
  if (code === 'SQLITE_FULL') {
    return new EngramError('DISK_FULL', `the disk is full while ${doing}; the change was not made — free some space and retry`, { cause: error });
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new EngramError(
      'DB_INVALID',
      `the database file is damaged (${message}) while ${doing}; \`engram doctor\` shows what \`verify()\` finds — restore the file from a backup or an export (\`engram import\`)`,
      { cause: error },
    );
  }
  if (code === 'SQLITE_NOTADB') {
    return new EngramError(
      'DB_INVALID',
      `the file is not a readable SQLite database (${message}) while ${doing}; if it is encrypted, open it with its encryptionKey (ENGRAM_KEY)`,
      { cause: error },
    );
  }
  return new EngramError('DB_ERROR', `SQLite failed while ${doing}: ${message}`, { cause: error });
}
