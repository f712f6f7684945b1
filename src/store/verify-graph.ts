/**
 * The entity graph's invariants, as queries whose rows are violations (see
 * verify.ts), each with the line that reports a row. Scopes are compared
 * column by column (IS: NULL equals NULL), never by scope_key alone, which is
 * itself checked against the columns.
 */
const sameScope = (a: string, b: string) => `${a}.user_id IS ${b}.user_id AND ${a}.agent_id IS ${b}.agent_id AND ${a}.run_id IS ${b}.run_id`;

export const graphChecks: readonly [sql: string, describe: (row: Record<string, unknown>) => string][] = [
  [
    `SELECT 'entity' AS kind, id FROM entities WHERE scope_key IS NOT json_array(user_id, agent_id, run_id)
     UNION ALL SELECT 'relation', id FROM relations WHERE scope_key IS NOT json_array(user_id, agent_id, run_id)`,
    (r) => `${r.kind} ${r.id}: its scope key differs from its scope`,
  ],
  [
    `SELECT id, source_id AS entity_id FROM relations r WHERE NOT EXISTS (SELECT 1 FROM entities x WHERE x.id = r.source_id)
     UNION ALL SELECT id, target_id FROM relations r WHERE NOT EXISTS (SELECT 1 FROM entities x WHERE x.id = r.target_id)`,
    (r) => `relation ${r.id} links entity ${r.entity_id}, which does not exist`,
  ],
  [
    `SELECT r.id, x.id AS entity_id FROM relations r JOIN entities x ON x.id IN (r.source_id, r.target_id) WHERE NOT (${sameScope('x', 'r')})`,
    (r) => `relation ${r.id} and its entity ${r.entity_id} belong to different scopes`,
  ],
  [`SELECT id FROM relations WHERE source_id = target_id`, (r) => `relation ${r.id} links an entity to itself`],
  [`SELECT id FROM relations WHERE valid_to IS NOT NULL AND valid_to < valid_from`, (r) => `relation ${r.id} ends before it begins (validTo < validFrom)`],
  [`SELECT id FROM relations WHERE retired_at IS NOT NULL AND retired_at < recorded_at`, (r) => `relation ${r.id} was retired before it was recorded (retiredAt < recordedAt)`],
  [
    `SELECT r.id, r.memory_id FROM relations r WHERE r.memory_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = r.memory_id)`,
    (r) => `relation ${r.id} was stated with memory ${r.memory_id}, which does not exist`,
  ],
  [
    `SELECT me.memory_id, me.entity_id FROM memory_entities me WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = me.memory_id)`,
    (r) => `a mention of entity ${r.entity_id} points to memory ${r.memory_id}, which does not exist`,
  ],
  [
    `SELECT me.memory_id, me.entity_id FROM memory_entities me WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.id = me.entity_id)`,
    (r) => `memory ${r.memory_id} names entity ${r.entity_id}, which does not exist`,
  ],
  [
    `SELECT DISTINCT me.memory_id, me.entity_id FROM memory_entities me JOIN entities e ON e.id = me.entity_id JOIN memories m ON m.id = me.memory_id
     WHERE NOT (${sameScope('m', 'e')})`,
    (r) => `memory ${r.memory_id} and entity ${r.entity_id}, which it names, belong to different scopes`,
  ],
];
