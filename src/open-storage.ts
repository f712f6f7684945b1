import { EngramError } from './errors.js';
import { isPostgresUrl } from './memory-options.js';
import type { Storage } from './storage/storage.js';
import { SqliteStorage } from './store/sqlite-storage.js';

export type OpenStorageOptions = {
  /** A file path (SQLite), ':memory:', or a postgres:// URL. */
  path: string;
  create?: boolean | undefined;
  busyTimeoutMs: number;
  encryptionKey?: string | undefined;
  searchIndexBytes?: number | undefined;
};

/** The engine a path names, opened: the one place that knows every engine. */
export async function openStorage(options: OpenStorageOptions): Promise<Storage> {
  if (!isPostgresUrl(options.path)) return SqliteStorage.open(options);
  if (options.encryptionKey !== undefined) {
    throw new EngramError(
      'INVALID_INPUT',
      'encryptionKey encrypts SQLite files; a PostgreSQL server encrypts at rest itself (encrypted disks or tablespaces) and in transit with TLS (sslmode=require in the URL)',
    );
  }
  // Loaded only when used: SQLite users never load the PostgreSQL client.
  const { PostgresStorage } = await import('./engines/postgres/postgres-storage.js');
  return PostgresStorage.open({ url: options.path, busyTimeoutMs: options.busyTimeoutMs });
}
