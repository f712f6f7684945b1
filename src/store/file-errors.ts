import { EngramError } from '../errors.js';
import { toEngramError } from './sqlite-errors.js';

/**
 * Turns a failure of the file system (or of SQLite writing a file) into an
 * EngramError a person can act on: a full disk is DISK_FULL, a missing file
 * FILE_NOT_FOUND, anything else as SQLite errors are mapped.
 */
export function toFileError(error: unknown, doing: string): EngramError {
  if (error instanceof EngramError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new EngramError('DISK_FULL', `the disk is full while ${doing}; nothing was changed — free some space and retry`, { cause: error });
  }
  if (code === 'ENOENT') {
    const path = typeof error === 'object' && error !== null && 'path' in error ? String(error.path) : 'a file';
    return new EngramError('FILE_NOT_FOUND', `${path} does not exist (while ${doing})`, { cause: error });
  }
  return toEngramError(error, doing);
}
