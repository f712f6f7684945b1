import type { Database } from './database.js';
import type { ScopeColumns } from './scope-sql.js';

export type NewMessageRow = { role: 'user' | 'assistant' | 'system'; name: string | null; content: string; created_at: number };

/** Appends messages to the conversation log; returns their ids in order. */
export function appendMessages(db: Database, scope: ScopeColumns, messages: readonly NewMessageRow[], addedAt: number): number[] {
  const insert = db.prepare(
    `INSERT INTO messages (user_id, agent_id, run_id, role, name, content, created_at, added_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return messages.map((m) =>
    Number(
      insert.run(scope.user_id ?? null, scope.agent_id ?? null, scope.run_id ?? null, m.role, m.name, m.content, m.created_at, addedAt)
        .lastInsertRowid,
    ),
  );
}
