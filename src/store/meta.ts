import type { Database } from './database.js';

/** The `meta` table: schema version and the embedding model the vectors were made with. */
export function readMeta(db: Database, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeMeta(db: Database, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}

export const META_KEYS = {
  schemaVersion: 'schema_version',
  embeddingModel: 'embedding_model',
  embeddingDimension: 'embedding_dimension',
  /** Bumped by every delete from memories (trigger) and by a reindex: in-memory search indexes rebuild. */
  searchEpoch: 'search_epoch',
  /** The store's policy (JSON): configuration, not memories (reset keeps it). */
  policy: 'policy',
} as const;

/** Tells every connection's in-memory search indexes to rebuild (see search-indexes.ts). */
export function bumpSearchEpoch(db: Database): void {
  db.prepare(`UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = ?`).run(META_KEYS.searchEpoch);
}
