import type { RecordTables } from '../storage/record-types.js';

/**
 * The SQLite engine's tables per record type (see storage/record-types.ts).
 * Virtual tables' shadow tables (memory_fts_*, memory_vectors_*) belong with
 * their virtual table.
 */
export const RECORD_TABLES: RecordTables = {
  records: {
    memory: ['memories', 'memory_vectors', 'memory_fts', 'reindex_vectors'],
    history: ['history'],
    message: ['messages'],
    job: ['jobs'],
    // A running reindex's vectors for entity names live in entities' own columns.
    entity: ['entities'],
    relation: ['relations'],
    mention: ['memory_entities'],
    policy: ['policies'],
  },
  bookkeeping: ['meta', 'sqlite_sequence'],
};
