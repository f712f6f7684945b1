import type { HistoryActor } from '../../storage/storage.js';
import type { HistoryRow } from './rows.js';
import type { SqlQueryable } from './sql-client.js';

export type NewHistoryRow = {
  memoryId: string;
  event: 'ADD' | 'UPDATE' | 'DELETE';
  oldText: string | null;
  newText: string | null;
  oldMetadata: unknown;
  newMetadata: unknown;
  actor: HistoryActor;
  reason: string | null;
  createdAt: number;
};

const asJson = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export async function appendHistory(sql: SqlQueryable, entry: NewHistoryRow): Promise<void> {
  await sql.query(
    `INSERT INTO history (memory_id, event, old_text, new_text, old_metadata, new_metadata, actor, reason, created_at)
     VALUES ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, $7, $8, $9)`,
    [entry.memoryId, entry.event, entry.oldText, entry.newText, asJson(entry.oldMetadata), asJson(entry.newMetadata), entry.actor, entry.reason, entry.createdAt],
  );
}

/** Every change to one memory, oldest first. */
export function historyOf(sql: SqlQueryable, memoryId: string): Promise<HistoryRow[]> {
  return sql.query<HistoryRow>('SELECT * FROM history WHERE memory_id = $1 ORDER BY id', [memoryId]);
}
