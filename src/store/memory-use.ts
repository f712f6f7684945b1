import type { Database } from './database.js';

/**
 * A memory's last use, kept on its current version (see the port's "Use"):
 * a plain column update, no new version, no history. The FTS trigger fires on
 * text changes only, and the vector table does not hold it.
 */
export function recordAccess(db: Database, ids: readonly string[], at: number): void {
  if (ids.length === 0) return;
  db.prepare(
    `UPDATE memories SET last_accessed_at = max(ifnull(last_accessed_at, 0), ?)
     WHERE valid_to IS NULL AND id IN (SELECT value FROM json_each(?))`,
  ).run(Math.trunc(at), JSON.stringify(ids));
}

export function lastAccess(db: Database, ids: readonly string[]): Map<string, number> {
  if (ids.length === 0) return new Map();
  const rows = db
    .prepare(
      `SELECT id, last_accessed_at AS at FROM memories
       WHERE valid_to IS NULL AND last_accessed_at IS NOT NULL AND id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(ids)) as { id: string; at: number }[];
  return new Map(rows.map((row) => [row.id, row.at]));
}
