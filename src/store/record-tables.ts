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
  },
  bookkeeping: ['meta', 'sqlite_sequence'],
};
