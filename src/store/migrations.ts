/**
 * The schema, as numbered steps. A step, once released, never changes: fix
 * mistakes with a new step. The vector table is not here because its dimension
 * comes from the embedder (see vectors.ts).
 */
export type Migration = { version: number; name: string; sql: string };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'memories, full-text index, history, messages',
    sql: `
      CREATE TABLE memories (
        seq INTEGER PRIMARY KEY,
        -- A memory keeps its id across versions: an update closes one row and adds the next.
        id TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        text TEXT NOT NULL,
        hash TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('semantic', 'episodic', 'procedural')),
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        valid_from INTEGER NOT NULL,
        valid_to INTEGER,
        source TEXT CHECK (source IS NULL OR json_valid(source)),
        access_count INTEGER NOT NULL DEFAULT 0,
        last_accessed_at INTEGER,
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL)
      );
      CREATE UNIQUE INDEX memories_version ON memories (id, version);
      CREATE UNIQUE INDEX memories_current_id ON memories (id) WHERE valid_to IS NULL;
      -- One current memory per text and exact scope, even across processes.
      CREATE UNIQUE INDEX memories_current_hash
        ON memories (ifnull(user_id, ''), ifnull(agent_id, ''), ifnull(run_id, ''), hash)
        WHERE valid_to IS NULL;
      CREATE INDEX memories_user ON memories (user_id, created_at) WHERE user_id IS NOT NULL;
      CREATE INDEX memories_agent ON memories (agent_id, created_at) WHERE agent_id IS NOT NULL;
      CREATE INDEX memories_run ON memories (run_id, created_at) WHERE run_id IS NOT NULL;

      CREATE VIRTUAL TABLE memory_fts USING fts5(
        text, content = 'memories', content_rowid = 'seq',
        tokenize = 'porter unicode61 remove_diacritics 2'
      );
      -- Triggers keep the external-content index in the same transaction as the row.
      CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memory_fts (rowid, text) VALUES (new.seq, new.text);
      END;
      CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memory_fts (memory_fts, rowid, text) VALUES ('delete', old.seq, old.text);
      END;
      CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
        INSERT INTO memory_fts (memory_fts, rowid, text) VALUES ('delete', old.seq, old.text);
        INSERT INTO memory_fts (rowid, text) VALUES (new.seq, new.text);
      END;

      CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        memory_id TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('ADD', 'UPDATE', 'DELETE')),
        old_text TEXT,
        new_text TEXT,
        old_metadata TEXT,
        new_metadata TEXT,
        actor TEXT NOT NULL CHECK (actor IN ('api', 'llm', 'user')),
        reason TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX history_memory ON history (memory_id, id);
      -- Append-only: history is the audit trail. Only a purge (forget, reset) removes it.
      CREATE TRIGGER history_no_update BEFORE UPDATE ON history BEGIN
        SELECT RAISE(ABORT, 'history is append-only');
      END;

      CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        name TEXT,
        content TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        added_at INTEGER NOT NULL
      );
      CREATE INDEX messages_run ON messages (run_id, id) WHERE run_id IS NOT NULL;
      CREATE INDEX messages_user ON messages (user_id, id) WHERE user_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'search index epoch',
    sql: `
      -- In-memory search indexes (search-indexes.ts) follow new rows by seq; a deleted row
      -- may give its seq to a new one, so any delete tells them to rebuild.
      INSERT INTO meta (key, value) VALUES ('search_epoch', '0');
      CREATE TRIGGER memories_search_epoch AFTER DELETE ON memories BEGIN
        UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'search_epoch';
      END;
    `,
  },
  {
    version: 3,
    name: 'reindex vectors keyed by memory id and version',
    sql: `
      -- Row numbers are reused after a delete: a reindex interrupted before a forget and resumed after
      -- new adds attached vectors to other texts. An interrupted reindex of an older Engram starts over.
      DROP TABLE IF EXISTS reindex_vectors;
      DELETE FROM meta WHERE key = 'reindex_model';
      CREATE TABLE reindex_vectors (
        memory_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        hash TEXT NOT NULL,
        embedding BLOB NOT NULL,
        PRIMARY KEY (memory_id, version)
      ) STRICT;
      -- Whatever erases a version (forget, reset, purge) erases its pending vector: no embedding of an erased text stays.
      CREATE TRIGGER memories_reindex_delete AFTER DELETE ON memories BEGIN
        DELETE FROM reindex_vectors WHERE memory_id = old.id AND version = old.version;
      END;
    `,
  },
  {
    version: 4,
    name: 'extraction queue',
    sql: `
      CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        -- The exact scope as one value: a scope's jobs run in seq order (see jobHeads).
        scope_key TEXT NOT NULL,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('extract', 'procedure')),
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        message_ids TEXT NOT NULL CHECK (json_valid(message_ids)),
        metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        error TEXT CHECK (error IS NULL OR json_valid(error)),
        result TEXT CHECK (result IS NULL OR json_valid(result)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        finished_at INTEGER,
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL),
        CHECK (status != 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
      );
      CREATE INDEX jobs_unfinished ON jobs (scope_key, seq) WHERE status IN ('queued', 'running');
      CREATE INDEX jobs_user ON jobs (user_id, seq) WHERE user_id IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'entity graph: entities, relations, mentions',
    sql: `
      -- scope_key is the exact scope as one value, json_array(user_id, agent_id, run_id), always written by SQL
      -- (see scopeKeySql): one key per exact scope, and a relation's foreign keys hold it to its entities' scope.
      CREATE TABLE entities (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        scope_key TEXT NOT NULL,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        type TEXT NOT NULL,
        aliases TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(aliases)),
        -- Float32 values of the name's vector (the store's embedding model).
        embedding BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        -- A running reindex's vector for the name it was computed from, swapped in at its end (see reindex.ts).
        reindex_name TEXT,
        reindex_embedding BLOB,
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL),
        CHECK ((reindex_name IS NULL) = (reindex_embedding IS NULL)),
        UNIQUE (scope_key, key),
        UNIQUE (id, scope_key)
      ) STRICT;
      CREATE INDEX entities_user ON entities (user_id) WHERE user_id IS NOT NULL;
      CREATE INDEX entities_agent ON entities (agent_id) WHERE agent_id IS NOT NULL;
      CREATE INDEX entities_run ON entities (run_id) WHERE run_id IS NOT NULL;

      CREATE TABLE relations (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        scope_key TEXT NOT NULL,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        source_id TEXT NOT NULL,
        relation TEXT NOT NULL,
        target_id TEXT NOT NULL,
        valid_from INTEGER NOT NULL,
        valid_to INTEGER,
        recorded_at INTEGER NOT NULL,
        retired_at INTEGER,
        -- A memory id (of any of its versions), like history.memory_id: no foreign key, as no column of memories is unique alone.
        memory_id TEXT,
        message_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(message_ids)),
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL),
        CHECK (source_id != target_id),
        CHECK (valid_to IS NULL OR valid_to >= valid_from),
        CHECK (retired_at IS NULL OR retired_at >= recorded_at),
        FOREIGN KEY (source_id, scope_key) REFERENCES entities (id, scope_key),
        FOREIGN KEY (target_id, scope_key) REFERENCES entities (id, scope_key)
      ) STRICT;
      CREATE INDEX relations_source ON relations (source_id);
      CREATE INDEX relations_target ON relations (target_id);
      CREATE INDEX relations_memory ON relations (memory_id) WHERE memory_id IS NOT NULL;
      CREATE INDEX relations_user ON relations (user_id) WHERE user_id IS NOT NULL;
      CREATE INDEX relations_agent ON relations (agent_id) WHERE agent_id IS NOT NULL;
      CREATE INDEX relations_run ON relations (run_id) WHERE run_id IS NOT NULL;

      CREATE TABLE memory_entities (
        memory_id TEXT NOT NULL,
        entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
        PRIMARY KEY (memory_id, entity_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX memory_entities_entity ON memory_entities (entity_id, memory_id);

      -- Once the last version of a memory is erased (forget, reset), what it named goes, and the relations it stated
      -- no longer point to it (they belong to their own scope and go with it).
      CREATE TRIGGER memories_graph_delete AFTER DELETE ON memories
      WHEN NOT EXISTS (SELECT 1 FROM memories WHERE id = old.id)
      BEGIN
        DELETE FROM memory_entities WHERE memory_id = old.id;
        UPDATE relations SET memory_id = NULL WHERE memory_id = old.id;
      END;
    `,
  },
  {
    version: 6,
    name: 'memory expiry',
    sql: `
      -- When a version leaves reads (epoch ms); NULL: never. Its vector's valid_to holds the earlier of the two ends.
      ALTER TABLE memories ADD COLUMN expires_at INTEGER;
      CREATE INDEX memories_expiry ON memories (expires_at) WHERE expires_at IS NOT NULL;
      -- A queued add's own expiresAt, for the memories it will store.
      ALTER TABLE jobs ADD COLUMN expires_at INTEGER;
    `,
  },
  {
    version: 7,
    name: 'policies of scopes',
    sql: `
      -- A user's, agent's or run's own policy (the store's own is a meta row); see the port's "Policies".
      CREATE TABLE policies (
        seq INTEGER PRIMARY KEY,
        user_id TEXT,
        agent_id TEXT,
        run_id TEXT,
        policy TEXT NOT NULL CHECK (json_valid(policy)),
        updated_at INTEGER NOT NULL,
        CHECK (user_id IS NOT NULL OR agent_id IS NOT NULL OR run_id IS NOT NULL)
      );
      CREATE UNIQUE INDEX policies_scope ON policies (ifnull(user_id, ''), ifnull(agent_id, ''), ifnull(run_id, ''));
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
