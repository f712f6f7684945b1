import type { Database } from './database.js';

export type HistoryEvent = 'ADD' | 'UPDATE' | 'DELETE';
export type HistoryActor = 'api' | 'llm' | 'user';

export type HistoryRow = {
  id: number;
  memory_id: string;
  event: HistoryEvent;
  old_text: string | null;
  new_text: string | null;
  old_metadata: string | null;
  new_metadata: string | null;
  actor: HistoryActor;
  reason: string | null;
  created_at: number;
};

export function appendHistory(db: Database, entry: Omit<HistoryRow, 'id'>): void {
  db.prepare(
    `INSERT INTO history (memory_id, event, old_text, new_text, old_metadata, new_metadata, actor, reason, created_at)
     VALUES (@memory_id, @event, @old_text, @new_text, @old_metadata, @new_metadata, @actor, @reason, @created_at)`,
  ).run(entry);
}

/** Every change to one memory, oldest first. */
export function historyOf(db: Database, memoryId: string): HistoryRow[] {
  return db.prepare('SELECT * FROM history WHERE memory_id = ? ORDER BY id').all(memoryId) as HistoryRow[];
}
