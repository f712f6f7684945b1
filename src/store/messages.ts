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

export type MessageRow = { id: number; role: 'user' | 'assistant' | 'system'; name: string | null; content: string; created_at: number };

/** The last `limit` messages logged in exactly this scope, oldest first. */
export function recentMessages(db: Database, scope: ScopeColumns, limit: number): MessageRow[] {
  const rows = db
    .prepare(
      `SELECT id, role, name, content, created_at FROM messages
       WHERE user_id IS ? AND agent_id IS ? AND run_id IS ? ORDER BY id DESC LIMIT ?`,
    )
    .all(scope.user_id ?? null, scope.agent_id ?? null, scope.run_id ?? null, limit) as MessageRow[];
  return rows.reverse();
}
