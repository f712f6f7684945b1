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
  return SqliteStorage.open(options);
}
