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

/** The last `limit` messages logged in exactly this scope (before message `beforeId`, when given), oldest first. */
export function recentMessages(db: Database, scope: ScopeColumns, limit: number, beforeId?: number): MessageRow[] {
  const rows = db
    .prepare(
      `SELECT id, role, name, content, created_at FROM messages
       WHERE user_id IS ? AND agent_id IS ? AND run_id IS ? AND id < ? ORDER BY id DESC LIMIT ?`,
    )
    .all(scope.user_id ?? null, scope.agent_id ?? null, scope.run_id ?? null, beforeId ?? Number.MAX_SAFE_INTEGER, limit) as MessageRow[];
  return rows.reverse();
}

/** The logged messages with these ids, in id order. */
export function messagesById(db: Database, ids: readonly number[]): MessageRow[] {
  const find = db.prepare('SELECT id, role, name, content, created_at FROM messages WHERE id = ?');
  return [...new Set(ids)]
    .sort((a, b) => a - b)
    .flatMap((id) => {
      const row = find.get(id) as MessageRow | undefined;
      return row ? [row] : [];
    });
}

export function deleteMessages(db: Database, ids: readonly number[]): void {
  const remove = db.prepare('DELETE FROM messages WHERE id = ?');
  for (const id of ids) remove.run(id);
}
