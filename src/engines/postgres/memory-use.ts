import type { SqlQueryable } from './sql-client.js';

/**
 * A memory's last use, kept on its current version (see the port's "Use"):
 * a column update, no new version, no history. Ids in order, so two
 * transactions marking the same memories lock them in the same order.
 */
export async function recordAccess(sql: SqlQueryable, ids: readonly string[], at: number): Promise<void> {
  if (ids.length === 0) return;
  await sql.query(
    `UPDATE memories SET last_accessed_at = greatest(coalesce(last_accessed_at, 0), $2::bigint)
     WHERE seq IN (SELECT seq FROM memories WHERE valid_to IS NULL AND id = ANY($1::text[]) ORDER BY id FOR UPDATE)`,
    [[...new Set(ids)], Math.trunc(at)],
  );
}

export async function lastAccess(sql: SqlQueryable, ids: readonly string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.query<{ id: string; at: string }>(
    'SELECT id, last_accessed_at AS at FROM memories WHERE valid_to IS NULL AND last_accessed_at IS NOT NULL AND id = ANY($1::text[])',
    [[...new Set(ids)]],
  );
  return new Map(rows.map((row) => [row.id, Number(row.at)]));
}
