import type { ErasedCounts } from '../../storage/storage.js';
import { purgeMentions } from './mentions.js';
import { num } from './rows.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';
import { scopeWhere } from './scope-sql.js';
import { scopeOfRow } from '../../scope.js';
import type { Scope } from '../../schema.js';


/**
 * The message ids a JSONB value (`json`, an SQL expression) cites, as rows of `id`: the integer
 * elements of an array; anything else (not an array, a string, a fraction) cites nothing.
 */
const citedBy = (json: string) =>
  `SELECT (cited.value #>> '{}')::bigint AS id
   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${json}) = 'array' THEN ${json} ELSE '[]'::jsonb END) AS cited(value)
   WHERE jsonb_typeof(cited.value) = 'number' AND (cited.value #>> '{}') ~ '^[0-9]{1,15}$'`;

/**
 * Erases memories for good (see the port's eraseMemories): their versions
 * (vector and tsvector are columns of the row), history, mentions and the
 * relations they stated; then the entities they named that nothing names or
 * links any more, and the messages they cited that nothing else still cites.
 * Relations go before entities: they point to them.
 */
export async function eraseMemories(sql: SqlQueryable, ids: readonly string[]): Promise<ErasedCounts> {
  const known = (await sql.query<{ id: string }>('SELECT DISTINCT id FROM memories WHERE id = ANY($1::text[])', [[...new Set(ids)]])).map((row) => row.id);
  if (known.length === 0) return { memories: 0, messages: 0, entities: 0, relations: 0 };
  const cited = await sql.query<{ id: number | string }>(
    `SELECT DISTINCT c.id FROM memories m CROSS JOIN LATERAL (${citedBy(`m.source -> 'messageIds'`)}) c WHERE m.id = ANY($1::text[])`,
    [known],
  );
  const named = await sql.query<{ entity_id: string }>('SELECT DISTINCT entity_id FROM memory_entities WHERE memory_id = ANY($1::text[])', [known]);
  const scopes = (
    await sql.query<{ user_id: string | null; agent_id: string | null; run_id: string | null }>(
      'SELECT DISTINCT user_id, agent_id, run_id FROM memories WHERE id = ANY($1::text[])',
      [known],
    )
  ).map(scopeOfRow);
  await sql.query('DELETE FROM memories WHERE id = ANY($1::text[])', [known]);
  await sql.query('DELETE FROM history WHERE memory_id = ANY($1::text[])', [known]);
  await purgeMentions(sql, known);
  const relations = await countDeleted(sql, 'DELETE FROM relations WHERE memory_id = ANY($1::text[])', [known]);
  const entities = await deleteUnusedEntities(sql, named.map((row) => row.entity_id));
  const messages = await deleteUncitedMessages(sql, cited.map((row) => num(row.id)), scopes);
  return { memories: known.length, messages, entities, relations };
}

/** Of these entities, removes those no mention names and no relation links; how many. */
function deleteUnusedEntities(sql: SqlQueryable, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return Promise.resolve(0);
  return countDeleted(
    sql,
    `DELETE FROM entities e WHERE e.id = ANY($1::text[])
       AND NOT EXISTS (SELECT 1 FROM memory_entities me WHERE me.entity_id = e.id)
       AND NOT EXISTS (SELECT 1 FROM relations r WHERE r.source_id = e.id OR r.target_id = e.id)`,
    [[...ids]],
  );
}

/**
 * Of these messages, removes those no memory version's source, no relation
 * and no job that may still run or be retried cites; how many. A message is
 * only ever cited from its own exact scope, so only the erased memories'
 * scopes are read (through their indexes), never the whole store.
 */
async function deleteUncitedMessages(sql: SqlQueryable, ids: readonly number[], scopes: readonly Scope[]): Promise<number> {
  if (ids.length === 0) return 0;
  const stillCited = new Set<number>();
  for (const scope of scopes) {
    const p = new SqlParams();
    const inScope = (table: string) => scopeWhere(scope, table, p);
    const rows = await sql.query<{ id: number | string }>(
      `SELECT c.id FROM memories m CROSS JOIN LATERAL (${citedBy(`m.source -> 'messageIds'`)}) c WHERE ${inScope('m')}
       UNION SELECT c.id FROM relations r CROSS JOIN LATERAL (${citedBy('r.message_ids')}) c WHERE ${inScope('r')}
       UNION SELECT c.id FROM jobs j CROSS JOIN LATERAL (${citedBy('j.message_ids')}) c WHERE ${inScope('j')} AND j.status IN ('queued', 'running', 'failed')`,
      p.values,
    );
    for (const row of rows) stillCited.add(num(row.id));
  }
  const gone = ids.filter((id) => !stillCited.has(id));
  if (gone.length === 0) return 0;
  return countDeleted(sql, 'DELETE FROM messages WHERE id = ANY($1::bigint[])', [gone]);
}

/** Runs a DELETE; how many rows it removed. */
async function countDeleted(sql: SqlQueryable, statement: string, params: readonly unknown[]): Promise<number> {
  const rows = await sql.query<{ n: number | string }>(`WITH gone AS (${statement} RETURNING 1) SELECT count(*) AS n FROM gone`, params);
  return num(rows[0]?.n ?? 0);
}
