import { EngramError } from '../../errors.js';
import type { SqlClient, SqlQueryable } from './sql-client.js';

/**
 * The schema, as numbered steps recorded in engram_meta. A step, once
 * released, never changes: fix mistakes with a new step. The vector column is
 * not here: its dimension comes from the embedding model (see binding.ts).
 */
export type Migration = { version: number; name: string; sql: string };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'memories, full-text column, history, messages',
    sql: `
      CREATE EXTENSION IF NOT EXISTS vector;
      CREATE TABLE memories (
        -- Insertion order, for list ties and export order; never leaves the engine.
        seq BIGSERIAL PRIMARY KEY,
        -- A memory keeps its id across versions: an update closes one row and adds the next.
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        text TEXT NOT NULL,
        hash TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('semantic', 'episodic', 'procedural')),
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        metadata JSONB NOT NULL DEFAULT '{}',
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        valid_from BIGINT NOT NULL,
        valid_to BIGINT,
        source JSONB,
        tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL)
      );
      CREATE UNIQUE INDEX memories_version ON memories (id, version);
      CREATE UNIQUE INDEX memories_current_id ON memories (id) WHERE valid_to IS NULL;
      -- One current memory per text and exact scope, even across app servers.
      CREATE UNIQUE INDEX memories_current_hash
        ON memories ((coalesce(user_id, '')), (coalesce(agent_id, '')), (coalesce(run_id, '')), hash)
        WHERE valid_to IS NULL;
      CREATE INDEX memories_user ON memories (user_id, created_at) WHERE user_id IS NOT NULL;
      CREATE INDEX memories_agent ON memories (agent_id, created_at) WHERE agent_id IS NOT NULL;
      CREATE INDEX memories_run ON memories (run_id, created_at) WHERE run_id IS NOT NULL;
      CREATE INDEX memories_tsv ON memories USING gin (tsv);

      CREATE TABLE history (
        id BIGSERIAL PRIMARY KEY,
        memory_id TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('ADD', 'UPDATE', 'DELETE')),
        old_text TEXT,
        new_text TEXT,
        old_metadata JSONB,
        new_metadata JSONB,
        actor TEXT NOT NULL CHECK (actor IN ('api', 'llm', 'user')),
        reason TEXT,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX history_memory ON history (memory_id, id);
      -- Append-only: history is the audit trail. Only a purge (forget, reset) removes it.
      CREATE FUNCTION engram_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'history is append-only'; END $$;
      CREATE TRIGGER history_no_update BEFORE UPDATE ON history
        FOR EACH ROW EXECUTE FUNCTION engram_history_append_only();

      CREATE TABLE messages (
        id BIGSERIAL PRIMARY KEY,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        name TEXT,
        content TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        added_at BIGINT NOT NULL
      );
      CREATE INDEX messages_user ON messages (user_id, id) WHERE user_id IS NOT NULL;
      CREATE INDEX messages_agent ON messages (agent_id, id) WHERE agent_id IS NOT NULL;
      CREATE INDEX messages_run ON messages (run_id, id) WHERE run_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'extraction queue',
    sql: `
      CREATE TABLE jobs (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        -- The exact scope as one value: a scope's jobs run in seq order (see jobHeads).
        scope_key TEXT NOT NULL,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('extract', 'procedure')),
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        message_ids JSONB NOT NULL,
        metadata JSONB NOT NULL DEFAULT '{}',
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before BIGINT NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        error JSONB,
        result JSONB,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        finished_at BIGINT,
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL),
        CHECK (status <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
      );
      CREATE INDEX jobs_unfinished ON jobs (scope_key, seq) WHERE status IN ('queued', 'running');
      CREATE INDEX jobs_user ON jobs (user_id, seq) WHERE user_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'entity graph: entities, relations, mentions',
    sql: `
      CREATE TABLE entities (
        id TEXT PRIMARY KEY,
        -- Insertion order, for ties and export order; never leaves the engine.
        seq BIGSERIAL NOT NULL UNIQUE,
        -- The exact scope as one value (as jobs keep it): one key per exact scope, and the relations' foreign keys.
        scope_key TEXT NOT NULL,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('user', 'person', 'place', 'organization', 'thing')),
        -- A JSON array, so the order they were first seen in stays.
        aliases JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(aliases) = 'array'),
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL),
        CONSTRAINT entities_key UNIQUE (scope_key, key),
        -- What the relations' foreign keys point to: a relation's entities share its exact scope.
        CONSTRAINT entities_id_scope UNIQUE (id, scope_key)
      );
      CREATE INDEX entities_user ON entities (user_id, created_at, seq) WHERE user_id IS NOT NULL;
      CREATE INDEX entities_agent ON entities (agent_id, created_at, seq) WHERE agent_id IS NOT NULL;
      CREATE INDEX entities_run ON entities (run_id, created_at, seq) WHERE run_id IS NOT NULL;

      CREATE TABLE relations (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        scope_key TEXT NOT NULL,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        source_id TEXT NOT NULL,
        relation TEXT NOT NULL,
        target_id TEXT NOT NULL,
        valid_from BIGINT NOT NULL,
        valid_to BIGINT,
        recorded_at BIGINT NOT NULL,
        retired_at BIGINT,
        -- No foreign key: a memory's id names several version rows (history refers to memories the same way).
        memory_id TEXT,
        message_ids JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(message_ids) = 'array'),
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL),
        CONSTRAINT relations_not_a_loop CHECK (source_id <> target_id),
        CONSTRAINT relations_valid_interval CHECK (valid_to IS NULL OR valid_to >= valid_from),
        CONSTRAINT relations_recorded_interval CHECK (retired_at IS NULL OR retired_at >= recorded_at),
        CONSTRAINT relations_source FOREIGN KEY (source_id, scope_key) REFERENCES entities (id, scope_key),
        CONSTRAINT relations_target FOREIGN KEY (target_id, scope_key) REFERENCES entities (id, scope_key)
      );
      CREATE INDEX relations_user ON relations (user_id, recorded_at, seq) WHERE user_id IS NOT NULL;
      CREATE INDEX relations_agent ON relations (agent_id, recorded_at, seq) WHERE agent_id IS NOT NULL;
      CREATE INDEX relations_run ON relations (run_id, recorded_at, seq) WHERE run_id IS NOT NULL;
      CREATE INDEX relations_source_id ON relations (source_id);
      CREATE INDEX relations_target_id ON relations (target_id);
      CREATE INDEX relations_memory_id ON relations (memory_id) WHERE memory_id IS NOT NULL;

      -- Which entities a memory names (mentions).
      CREATE TABLE memory_entities (
        memory_id TEXT NOT NULL,
        entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
        PRIMARY KEY (memory_id, entity_id)
      );
      CREATE INDEX memory_entities_entity ON memory_entities (entity_id);

      -- The names' vectors have the memories' dimension: a store bound before this step gets the column now
      -- (a store bound later gets it with the memories' column, see binding.ts).
      DO $$
      DECLARE dimension INTEGER;
      BEGIN
        SELECT value::integer INTO dimension FROM engram_meta WHERE key = 'embedding_dimension';
        IF dimension IS NOT NULL THEN
          EXECUTE format('ALTER TABLE entities ADD COLUMN embedding vector(%s)', dimension);
        END IF;
      END $$;
    `,
  },
  {
    version: 4,
    name: 'memory expiry',
    sql: `
      -- When a version leaves every read (epoch ms); NULL: never (see the port's "Expiry").
      ALTER TABLE memories ADD COLUMN expires_at BIGINT;
      -- What expiredMemoryIds looks through: the few versions that expire, not every row.
      CREATE INDEX memories_expiry ON memories (expires_at) WHERE expires_at IS NOT NULL;
      -- A queued add's own expiresAt, for the memories it will store.
      ALTER TABLE jobs ADD COLUMN expires_at BIGINT;
    `,
  },
  {
    version: 5,
    name: 'memory use',
    sql: `
      -- When a search last returned the current version (epoch ms; a policy's trackAccess); NULL: never (see the port's "Use").
      ALTER TABLE memories ADD COLUMN last_accessed_at BIGINT;
    `,
  },
  {
    version: 6,
    name: 'policies of scopes',
    sql: `
      -- A user's, agent's or run's own policy (the store's own is a meta row); see the port's "Policies".
      CREATE TABLE policies (
        seq BIGSERIAL PRIMARY KEY,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        policy TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL)
      );
      CREATE UNIQUE INDEX policies_scope ON policies ((coalesce(user_id, '')), (coalesce(agent_id, '')), (coalesce(run_id, '')));
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

export const META_KEYS = {
  schemaVersion: 'schema_version',
  embeddingModel: 'embedding_model',
  embeddingDimension: 'embedding_dimension',
} as const;

/** The store's policy (JSON), a meta row like the embedding model: configuration, not memories (reset keeps it). */
export const POLICY_KEY = 'policy';

/** One key for every Engram schema change, so two processes opening (or binding) at once take turns. */
export const SCHEMA_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('engram.schema'))`;

export async function readMeta(sql: SqlQueryable, key: string): Promise<string | undefined> {
  const rows = await sql.query<{ value: string }>('SELECT value FROM engram_meta WHERE key = $1', [key]);
  return rows[0]?.value;
}

export async function writeMeta(sql: SqlQueryable, key: string, value: string): Promise<void> {
  await sql.query('INSERT INTO engram_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
}

/**
 * Brings the schema up to date in one transaction under the schema lock: a
 * second process opening at the same time waits, then finds nothing to do.
 * READ COMMITTED, so what the first one committed is seen once the lock is held.
 */
export async function migrate(client: SqlClient): Promise<void> {
  await client.transaction({ isolation: 'read committed', readOnly: false }, async (sql) => {
    await sql.query(SCHEMA_LOCK_SQL);
    await sql.exec('CREATE TABLE IF NOT EXISTS engram_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const current = Number((await readMeta(sql, META_KEYS.schemaVersion)) ?? 0);
    if (current > LATEST_SCHEMA_VERSION) {
      throw new EngramError(
        'DB_INVALID',
        `this database has schema version ${current}, newer than this Engram knows (${LATEST_SCHEMA_VERSION}); upgrade Engram`,
      );
    }
    for (const step of MIGRATIONS) {
      if (step.version <= current) continue;
      await sql.exec(step.sql);
      await writeMeta(sql, META_KEYS.schemaVersion, String(step.version));
    }
  });
}
