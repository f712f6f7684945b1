import BetterSqlite3 from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../src/store/migrations.js';
import { SqliteStorage } from '../src/store/sqlite-storage.js';
import { createVectorTable, OPEN_END } from '../src/store/vectors.js';
import { textHash } from '../src/text-hash.js';
import { collect } from './support/collect.js';
import { ALICE, DIMENSION, entity, relation, unit } from './support/graph-seed.js';
import { tempDbPath } from './support/test-memory.js';

const MODEL = 'migration-model';

/**
 * A file as an Engram of schema `version` left it: its migrations applied,
 * bound to a model, holding one of Alice's memories (vector, full-text entry,
 * history) and a logged message.
 */
function fileAtVersion(version: number): string {
  const path = tempDbPath();
  const db = new BetterSqlite3(path);
  try {
    sqliteVec.load(db);
    db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT');
    for (const step of MIGRATIONS.filter((m) => m.version <= version)) db.exec(step.sql);
    const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    meta.run('schema_version', String(version));
    createVectorTable(db, DIMENSION);
    meta.run('embedding_model', MODEL);
    meta.run('embedding_dimension', String(DIMENSION));
    const seq = db
      .prepare(
        `INSERT INTO memories (id, version, text, hash, kind, user_id, metadata, created_at, updated_at, valid_from)
         VALUES ('old-memory', 1, 'Works at Acme', ?, 'semantic', 'alice', '{}', 1000, 1000, 1000)`,
      )
      .run(textHash('Works at Acme')).lastInsertRowid;
    db.prepare(`INSERT INTO memory_vectors (memory_seq, embedding, user_id, agent_id, run_id, valid_from, valid_to) VALUES (?, ?, 'alice', '', '', 1000, ?)`).run(
      BigInt(seq),
      Buffer.from(unit(1).buffer),
      BigInt(OPEN_END),
    );
    db.prepare(`INSERT INTO history (memory_id, event, new_text, new_metadata, actor, created_at) VALUES ('old-memory', 'ADD', 'Works at Acme', '{}', 'api', 1000)`).run();
    db.prepare(`INSERT INTO messages (user_id, role, content, created_at, added_at) VALUES ('alice', 'user', 'I work at Acme', 900, 950)`).run();
  } finally {
    db.close();
  }
  return path;
}

const schemaVersion = (path: string) => {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return Number(db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get());
  } finally {
    db.close();
  }
};

describe('a file of every earlier schema version opens, migrated, with its records intact', () => {
  const earlier = MIGRATIONS.map((m) => m.version).filter((v) => v < LATEST_SCHEMA_VERSION);

  it.each(earlier)('schema version %i', async (version) => {
    const path = fileAtVersion(version);
    const storage = await SqliteStorage.open({ path, busyTimeoutMs: 5_000 });
    try {
      await storage.bindEmbeddingModel(MODEL, DIMENSION);
      expect(await storage.verify()).toEqual([]);
      const acme = entity('Acme', ALICE, { type: 'organization' });
      const me = entity('alice', ALICE, { type: 'user' });
      await storage.transaction('write', 'testing', async (tx) => {
        expect((await tx.memory('old-memory'))?.memory).toBe('Works at Acme');
        await tx.insertEntity(acme);
        await tx.insertEntity(me);
        await tx.setMentions('old-memory', [acme.id, me.id]);
        await tx.insertRelation(relation(me, 'works_at', acme, { memoryId: 'old-memory' }));
      });
      expect(await storage.verify()).toEqual([]);
      const types = (await collect(storage.exportRecords())).map((r) => r.type);
      expect(types).toEqual(['engram', 'message', 'memory', 'entity', 'entity', 'relation']);
      expect(await storage.transaction('write', 'forgetting', (tx) => tx.purge(ALICE))).toEqual({ memories: 1, messages: 1, jobs: 0, entities: 2, relations: 1 });
    } finally {
      await storage.close();
    }
    expect(schemaVersion(path)).toBe(LATEST_SCHEMA_VERSION);
  });
});
