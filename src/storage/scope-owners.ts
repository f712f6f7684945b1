/** Whose memories a scope id names: Mem0 calls these "entities" (users, agents, runs). */
export type ScopeOwnerType = 'user' | 'agent' | 'run';

/** One user, agent or run that holds current memories, as `Memory.scopes()` lists them. Times are epoch milliseconds. */
export type ScopeOwnerRecord = {
  type: ScopeOwnerType;
  id: string;
  /** Current memories naming this id (a user's count includes those of their agents and runs). */
  memories: number;
  /** The oldest current memory's creation. */
  createdAt: number;
  /** The newest change among its current memories. */
  updatedAt: number;
};

/**
 * The one SQL both engines run (it is portable): every user, agent and run id
 * with current memories, most recently changed first. `param(i)` writes the
 * engine's placeholder for the i-th value (limit, then offset).
 */
export function scopeOwnersSql(param: (index: 1 | 2) => string): string {
  // Built per call: "current" leaves out memories expired by now (a number this module writes, never input).
  const now = Math.trunc(Date.now());
  const part = (type: ScopeOwnerType) =>
    `SELECT '${type}' AS type, ${type}_id AS id, created_at, updated_at FROM memories
     WHERE valid_to IS NULL AND (expires_at IS NULL OR expires_at > ${now}) AND ${type}_id IS NOT NULL`;
  // total: how many owners in all (the window counts the groups before LIMIT applies).
  return `SELECT type, id, count(*) AS memories, min(created_at) AS created_at, max(updated_at) AS updated_at, count(*) OVER () AS total
    FROM (${part('user')} UNION ALL ${part('agent')} UNION ALL ${part('run')}) owners
    GROUP BY type, id ORDER BY max(updated_at) DESC, type, id LIMIT ${param(1)} OFFSET ${param(2)}`;
}

/** A page of owners, and how many there are in all. */
export type ScopeOwnerPage = { owners: ScopeOwnerRecord[]; total: number };

type Row = { type: string; id: string; memories: number | string; created_at: number | string; updated_at: number | string; total: number | string };

/**
 * Runs scopeOwnersSql through `query` (the engine's, with its placeholders).
 * A page past the end has no row to carry the total, so the first page's is asked for then.
 */
export async function scopeOwnerPage(query: (limit: number, offset: number) => Promise<Row[]>, limit: number, offset: number): Promise<ScopeOwnerPage> {
  const rows = await query(limit, offset);
  const total = rows[0]?.total ?? (offset > 0 ? ((await query(1, 0))[0]?.total ?? 0) : 0);
  const owners = rows.map((row) => ({
    type: row.type as ScopeOwnerType,
    id: row.id,
    memories: Number(row.memories),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }));
  return { owners, total: Number(total) };
}
