import type { RecordTables } from '../../storage/record-types.js';

/** The PostgreSQL engine's tables per record type (see storage/record-types.ts); vectors and keywords are columns of `memories` (and `entities`). */
export const RECORD_TABLES: RecordTables = {
  records: {
    memory: ['memories'],
    history: ['history'],
    message: ['messages'],
    job: ['jobs'],
    entity: ['entities'],
    relation: ['relations'],
    mention: ['memory_entities'],
    policy: ['policies'],
  },
  bookkeeping: ['engram_meta'],
};
