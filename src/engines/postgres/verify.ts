import { HNSW_MAX_DIMENSION, readBinding } from './binding.js';
import type { SqlClient } from './sql-client.js';
import { ENTITIES_WITHOUT_VECTOR_COLUMN, ENTITY_VECTOR_CHECKS, entityVectorDimensions, GRAPH_CHECKS } from './verify-graph.js';

export type Check = { what: string; sql: string; params?: readonly unknown[]; describe: (row: Record<string, unknown>) => string };

/**
 * The structural invariants of the SQLite engine's verify() that PostgreSQL
 * does not already enforce by constraint (the entity graph's: verify-graph.ts). (Its vector-table and full-text
 * checks have no counterpart here: the vector is a column of the row and the
 * tsvector a generated column, so neither can drift from the row.)
 */
const CHECKS: readonly Check[] = [
  {
    what: 'version numbers',
    sql: `SELECT id, count(*) AS n, min(version) AS first, max(version) AS last FROM memories GROUP BY id HAVING min(version) <> 1 OR max(version) <> count(*)`,
    describe: (r) => `memory ${r.id} has ${r.n} versions numbered ${r.first} to ${r.last}, not 1 to ${r.n}`,
  },
  {
    what: 'validity intervals',
    sql: `SELECT id, version FROM memories WHERE valid_to IS NOT NULL AND valid_to < valid_from ORDER BY seq`,
    describe: (r) => `memory ${r.id} version ${r.version} ends before it begins (validTo < validFrom)`,
  },
  {
    what: 'overlapping versions',
    sql: `SELECT a.id, a.version FROM memories a JOIN memories b ON a.id = b.id AND b.version = a.version + 1
          WHERE a.valid_to IS NULL OR a.valid_to > b.valid_from ORDER BY a.seq`,
    describe: (r) => `memory ${r.id} version ${r.version} overlaps the next version`,
  },
  {
    what: 'scopes of versions',
    sql: `SELECT a.id FROM memories a JOIN memories b ON a.id = b.id AND a.seq < b.seq
          WHERE a.user_id IS DISTINCT FROM b.user_id OR a.agent_id IS DISTINCT FROM b.agent_id OR a.run_id IS DISTINCT FROM b.run_id
          GROUP BY a.id ORDER BY a.id`,
    describe: (r) => `memory ${r.id} changed scope between versions`,
  },
  {
    what: 'history',
    sql: `SELECT DISTINCT h.memory_id FROM history h WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = h.memory_id) ORDER BY h.memory_id`,
    describe: (r) => `history points to memory ${r.memory_id}, which does not exist`,
  },
  {
    what: 'history',
    sql: `SELECT m.id FROM memories m WHERE m.version = 1 AND NOT EXISTS (SELECT 1 FROM history h WHERE h.memory_id = m.id AND h.event = 'ADD') ORDER BY m.seq`,
    describe: (r) => `memory ${r.id} has no ADD in its history`,
  },
  {
    what: 'history',
    sql: `SELECT * FROM (
            SELECT m.id, m.seq, (SELECT count(*) FROM memories v WHERE v.id = m.id) AS versions,
                   (SELECT count(*) FROM history h WHERE h.memory_id = m.id AND h.event IN ('ADD', 'UPDATE')) AS changes
            FROM memories m WHERE m.version = 1) c
          WHERE versions <> changes ORDER BY seq`,
    describe: (r) => `memory ${r.id} has ${r.versions} versions but ${r.changes} ADD/UPDATE history rows`,
  },
  {
    what: 'history',
    sql: `SELECT m.id FROM memories m WHERE m.valid_to IS NOT NULL AND m.version = (SELECT max(version) FROM memories v WHERE v.id = m.id)
            AND NOT EXISTS (SELECT 1 FROM history h WHERE h.memory_id = m.id AND h.event = 'DELETE') ORDER BY m.seq`,
    describe: (r) => `memory ${r.id} was closed without a DELETE in its history`,
  },
  {
    // The unique indexes forbid these; they are checked anyway because an index can be dropped or fail to build.
    what: 'current versions',
    sql: `SELECT id FROM memories WHERE valid_to IS NULL GROUP BY id HAVING count(*) > 1 ORDER BY id`,
    describe: (r) => `memory ${r.id} has more than one current version`,
  },
  {
    what: 'current texts',
    sql: `SELECT user_id, agent_id, run_id, hash, count(*) AS n FROM memories WHERE valid_to IS NULL
          GROUP BY user_id, agent_id, run_id, hash HAVING count(*) > 1`,
    describe: (r) => `${r.n} current memories of one scope (user ${r.user_id ?? '-'}, agent ${r.agent_id ?? '-'}, run ${r.run_id ?? '-'}) say the same text`,
  },
  {
    what: 'job results',
    sql: `SELECT id FROM jobs WHERE status = 'done' AND result IS NULL ORDER BY seq`,
    describe: (r) => `job ${r.id} is done but holds no result`,
  },
  {
    // A job that may still run (or be retried) needs its messages, logged in its own exact scope.
    what: 'job messages',
    sql: `SELECT j.id, k.value AS message_id FROM jobs j CROSS JOIN LATERAL jsonb_array_elements_text(j.message_ids) AS k(value)
          WHERE j.status IN ('queued', 'running', 'failed')
            AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = k.value::bigint AND m.user_id IS NOT DISTINCT FROM j.user_id
                            AND m.agent_id IS NOT DISTINCT FROM j.agent_id AND m.run_id IS NOT DISTINCT FROM j.run_id)
          ORDER BY j.seq`,
    describe: (r) => `job ${r.id} waits for message ${r.message_id}, which is not logged in its scope`,
  },
];

/**
 * The unique indexes that keep one current version per memory, one current
 * memory per text and scope, and one entity per name and scope, across app servers.
 */
const UNIQUE_INDEXES: Record<string, readonly string[]> = {
  memories: ['memories_version', 'memories_current_id', 'memories_current_hash'],
  entities: ['entities_key'],
};

/** Checks that need the vector column (it exists once a model is bound). */
const VECTOR_CHECKS: readonly Check[] = [
  {
    what: 'vectors',
    sql: `SELECT id, version FROM memories WHERE embedding IS NULL ORDER BY seq`,
    describe: (r) => `memory ${r.id} version ${r.version} has no vector`,
  },
  {
    // pgvector refuses NaN and infinity on input; a norm that is not finite means the stored bytes are damaged.
    what: 'vector values',
    sql: `SELECT id, version FROM memories WHERE embedding IS NOT NULL AND NOT (vector_norm(embedding) < 'Infinity'::float8) ORDER BY seq`,
    describe: (r) => `memory ${r.id} version ${r.version}: its vector holds NaN or infinite values`,
  },
];

/** Every invariant checked; one line per violation (none when healthy). A check that cannot run is itself reported. */
export async function verifyInvariants(client: SqlClient): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, check: () => Promise<void>) => {
    try {
      await check();
    } catch (error) {
      problems.push(`could not check ${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const run = (check: Check) =>
    attempt(check.what, async () => {
      for (const row of await client.query(check.sql, check.params)) problems.push(check.describe(row));
    });

  for (const check of [...CHECKS, ...GRAPH_CHECKS]) await run(check);
  await attempt('the unique indexes', async () => {
    for (const [table, indexes] of Object.entries(UNIQUE_INDEXES)) {
      const found = new Set(
        (await client.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE 'CREATE UNIQUE INDEX%'`, [table])).map((r) => r.indexname),
      );
      for (const index of indexes) if (!found.has(index)) problems.push(`the unique index ${index} is missing (app servers could store duplicates)`);
    }
  });
  const binding = await readBinding(client).catch(() => undefined);
  const columnType = await vectorColumnType(client, 'memories');
  if (columnType !== undefined) {
    for (const check of VECTOR_CHECKS) await run(check);
  } else {
    await run({ what: 'vectors', sql: `SELECT id, version FROM memories ORDER BY seq`, describe: (r) => `memory ${r.id} version ${r.version} has no vector` });
  }
  const entityColumnType = await vectorColumnType(client, 'entities');
  for (const check of entityColumnType === undefined ? [ENTITIES_WITHOUT_VECTOR_COLUMN] : ENTITY_VECTOR_CHECKS) await run(check);
  if (binding !== undefined) {
    if (columnType !== `vector(${binding.dimension})`) {
      problems.push(`the embedding model is bound with ${binding.dimension} dimensions, but the vector column is ${columnType ?? 'missing'}`);
    }
    if (entityColumnType !== `vector(${binding.dimension})`) {
      problems.push(`the embedding model is bound with ${binding.dimension} dimensions, but the entities' vector column is ${entityColumnType ?? 'missing'}`);
      if (entityColumnType !== undefined) await run(entityVectorDimensions(binding.dimension));
    }
    if (binding.dimension <= HNSW_MAX_DIMENSION) {
      await attempt('the vector index', async () => {
        const index = await client.query(`SELECT 1 FROM pg_indexes WHERE tablename = 'memories' AND indexname = 'memories_embedding_hnsw'`);
        if (index.length === 0) problems.push('the HNSW vector index memories_embedding_hnsw is missing (searches scan every vector)');
      });
    }
  }
  return problems;
}

/** The type of a table's `embedding` column (`vector(384)`), or undefined when it has none. */
async function vectorColumnType(client: SqlClient, table: 'memories' | 'entities'): Promise<string | undefined> {
  const column = await client
    .query<{ type: string }>(
      `SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
       WHERE a.attrelid = $1::regclass AND a.attname = 'embedding' AND NOT a.attisdropped`,
      [table],
    )
    .catch(() => []);
  return column[0]?.type;
}
