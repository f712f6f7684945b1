import type { Check } from './verify.js';

/** Whether a row's scope columns differ from another row's (`a`, `b`: table aliases). */
const otherScope = (a: string, b: string) =>
  `(${a}.user_id IS DISTINCT FROM ${b}.user_id OR ${a}.agent_id IS DISTINCT FROM ${b}.agent_id OR ${a}.run_id IS DISTINCT FROM ${b}.run_id)`;

/** The exact-scope key as scopeKey() writes it (JSON.stringify of the three fields), for rows of `table`. */
const scopeKeyOf = (table: string) =>
  `'[' || coalesce(to_json(${table}.user_id)::text, 'null') || ',' || coalesce(to_json(${table}.agent_id)::text, 'null') || ',' || coalesce(to_json(${table}.run_id)::text, 'null') || ']'`;

/**
 * The entity graph's invariants. Most are constraints of the schema as well
 * (foreign keys, checks, the unique key): they are checked anyway, because a
 * constraint can be dropped or disabled (session_replication_role) and the
 * rows it let in stay.
 */
export const GRAPH_CHECKS: readonly Check[] = [
  {
    what: 'relation entities',
    sql: `SELECT r.id, x.entity_id FROM relations r CROSS JOIN LATERAL (VALUES (r.source_id), (r.target_id)) AS x(entity_id)
          WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.id = x.entity_id) ORDER BY r.seq, x.entity_id`,
    describe: (r) => `relation ${r.id} links entity ${r.entity_id}, which does not exist`,
  },
  {
    what: 'relation scopes',
    sql: `SELECT r.id, e.id AS entity_id FROM relations r JOIN entities e ON e.id IN (r.source_id, r.target_id)
          WHERE ${otherScope('r', 'e')} ORDER BY r.seq, e.id`,
    describe: (r) => `relation ${r.id} links entity ${r.entity_id} of another scope`,
  },
  {
    what: 'relation loops',
    sql: `SELECT id, source_id FROM relations WHERE source_id = target_id ORDER BY seq`,
    describe: (r) => `relation ${r.id} links entity ${r.source_id} to itself`,
  },
  {
    what: 'relation validity',
    sql: `SELECT id FROM relations WHERE valid_to IS NOT NULL AND valid_to < valid_from ORDER BY seq`,
    describe: (r) => `relation ${r.id} ends before it begins (validTo < validFrom)`,
  },
  {
    what: 'relation retirement',
    sql: `SELECT id FROM relations WHERE retired_at IS NOT NULL AND retired_at < recorded_at ORDER BY seq`,
    describe: (r) => `relation ${r.id} was retired before it was recorded (retiredAt < recordedAt)`,
  },
  {
    // Forget clears the pointer of a relation whose memory it erased (see purge.ts).
    what: 'relation memories',
    sql: `SELECT r.id, r.memory_id FROM relations r WHERE r.memory_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = r.memory_id) ORDER BY r.seq`,
    describe: (r) => `relation ${r.id} was stated with memory ${r.memory_id}, which does not exist`,
  },
  {
    what: 'mentions',
    sql: `SELECT DISTINCT me.memory_id FROM memory_entities me WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = me.memory_id) ORDER BY me.memory_id`,
    describe: (r) => `a mention points to memory ${r.memory_id}, which does not exist`,
  },
  {
    what: 'mentions',
    sql: `SELECT me.memory_id, me.entity_id FROM memory_entities me WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.id = me.entity_id)
          ORDER BY me.memory_id, me.entity_id`,
    describe: (r) => `memory ${r.memory_id} names entity ${r.entity_id}, which does not exist`,
  },
  {
    what: 'mention scopes',
    sql: `SELECT me.memory_id, me.entity_id FROM memory_entities me JOIN entities e ON e.id = me.entity_id
          JOIN memories m ON m.id = me.memory_id AND m.version = 1
          WHERE ${otherScope('m', 'e')} ORDER BY me.memory_id, me.entity_id`,
    describe: (r) => `memory ${r.memory_id} names entity ${r.entity_id} of another scope`,
  },
  {
    what: 'entity keys',
    sql: `SELECT user_id, agent_id, run_id, key, count(*) AS n FROM entities GROUP BY user_id, agent_id, run_id, key HAVING count(*) > 1`,
    describe: (r) => `${r.n} entities of one scope (user ${r.user_id ?? '-'}, agent ${r.agent_id ?? '-'}, run ${r.run_id ?? '-'}) share the key "${r.key}"`,
  },
  {
    // The unique key and the relations' foreign keys compare scope_key, not the scope columns.
    what: 'scope keys',
    sql: `SELECT 'entity' AS kind, id, seq FROM entities e WHERE e.scope_key <> ${scopeKeyOf('e')}
          UNION ALL SELECT 'relation', id, seq FROM relations r WHERE r.scope_key <> ${scopeKeyOf('r')} ORDER BY kind, seq`,
    describe: (r) => `${r.kind} ${r.id}: its exact-scope key does not match its scope`,
  },
];

/** Checks that need the entities' vector column (it exists once a model is bound). */
export const ENTITY_VECTOR_CHECKS: readonly Check[] = [
  {
    what: 'entity vectors',
    sql: `SELECT id FROM entities WHERE embedding IS NULL ORDER BY seq`,
    describe: (r) => `entity ${r.id} has no vector`,
  },
  {
    what: 'entity vector values',
    sql: `SELECT id FROM entities WHERE embedding IS NOT NULL AND NOT (vector_norm(embedding) < 'Infinity'::float8) ORDER BY seq`,
    describe: (r) => `entity ${r.id}: its vector holds NaN or infinite values`,
  },
];

/** Without the vector column, every entity lacks its vector. */
export const ENTITIES_WITHOUT_VECTOR_COLUMN: Check = {
  what: 'entity vectors',
  sql: `SELECT id FROM entities ORDER BY seq`,
  describe: (r) => `entity ${r.id} has no vector`,
};

/** Entities whose vector is not of the store's dimension (possible only once the column lost its vector(n) type). */
export function entityVectorDimensions(dimension: number): Check {
  return {
    what: 'entity vector dimensions',
    sql: `SELECT id, vector_dims(embedding) AS dims FROM entities WHERE embedding IS NOT NULL AND vector_dims(embedding) <> $1 ORDER BY seq`,
    params: [dimension],
    describe: (r) => `entity ${r.id}: its vector has ${r.dims} dimensions, not the store's ${dimension}`,
  };
}
