import type { Database } from './database.js';
import type { SqlFragment } from './filter-sql.js';
import { validityWhere, type Validity } from './memories.js';
import { scopeWhere, type ScopeColumns } from './scope-sql.js';

export type KeywordHit = { seq: number; bm25: number };

/**
 * The k best full-text (BM25) matches inside a scope, among visible versions
 * passing `filter`. `query` must be a safe FTS5 query (see fts-query.ts).
 * BM25 is returned positive: higher is better.
 */
export function keywordHits(
  db: Database,
  query: string,
  k: number,
  scope: ScopeColumns,
  validity: Validity,
  filter?: SqlFragment,
): KeywordHit[] {
  const where = scopeWhere(scope, 'm');
  const valid = validityWhere(validity, 'm');
  const filtered = filter ? ` AND ${filter.sql}` : '';
  const rows = db
    .prepare(
      `SELECT m.seq AS seq, bm25(memory_fts) AS rank FROM memory_fts JOIN memories m ON m.seq = memory_fts.rowid
       WHERE memory_fts MATCH ? AND ${where.sql} AND ${valid.sql}${filtered}
       ORDER BY rank LIMIT ?`,
    )
    .all(query, ...where.params, ...valid.params, ...(filter?.params ?? []), k) as { seq: number; rank: number }[];
  return rows.map((r) => ({ seq: r.seq, bm25: -r.rank }));
}
