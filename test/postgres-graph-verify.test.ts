import type { PGlite } from '@electric-sql/pglite';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PostgresStorage } from '../src/engines/postgres/postgres-storage.js';
import { DIMENSION, seedGraph } from './support/graph-seed.js';
import { freshPglite, freshPostgresStorage } from './support/postgres.js';

/**
 * verify() on the PostgreSQL engine's entity graph: each invariant broken by
 * hand (raw SQL, past the constraints that would refuse it) is reported. The
 * constraints are dropped, or their triggers skipped (session_replication_role
 * = replica), as a damaged or hand-edited database would have them.
 */
let db: PGlite;
let storage: PostgresStorage;
let seeded: Awaited<ReturnType<typeof seedGraph>>;

beforeEach(async () => {
  db = await freshPglite();
  storage = await freshPostgresStorage(db);
  await storage.bindEmbeddingModel('contract-model', DIMENSION);
  seeded = await seedGraph(storage);
  expect(await storage.verify()).toEqual([]);
});

/** An entity's id by its name and user. */
async function entityId(name: string, userId: string, agentId: string | null = null): Promise<string> {
  const rows = await db.query<{ id: string }>('SELECT id FROM entities WHERE name = $1 AND user_id = $2 AND agent_id IS NOT DISTINCT FROM $3', [name, userId, agentId]);
  return rows.rows[0]?.id as string;
}

/** Runs raw SQL with foreign keys (and ON DELETE CASCADE) not enforced: they are triggers, which replica mode skips. */
async function pastForeignKeys(sql: string, params: unknown[] = []): Promise<void> {
  await db.exec('SET session_replication_role = replica');
  try {
    await db.query(sql, params);
  } finally {
    await db.exec('SET session_replication_role = DEFAULT');
  }
}

describe('verify() on the entity graph (PostgreSQL)', () => {
  it('reports relations whose entities are missing or of another scope, and mentions of missing or foreign records', async () => {
    const gym = await entityId('the gym', 'alice', 'coach');
    const rex = await entityId('Rex', 'bob');
    const trainsAt = (await db.query<{ id: string }>(`SELECT id FROM relations WHERE relation = 'trains_at'`)).rows[0]?.id as string;
    const owns = (await db.query<{ id: string }>(`SELECT id FROM relations WHERE relation = 'owns'`)).rows[0]?.id as string;
    await pastForeignKeys('DELETE FROM entities WHERE id = $1', [gym]);
    await pastForeignKeys('UPDATE relations SET target_id = $1 WHERE id = $2', [seeded.acme.id, owns]);
    await db.query(`INSERT INTO memory_entities (memory_id, entity_id) VALUES ('ghost-memory', $1)`, [seeded.acme.id]);
    await pastForeignKeys(`INSERT INTO memory_entities (memory_id, entity_id) VALUES ($1, 'ghost-entity')`, [seeded.memoryId]);
    await db.query('INSERT INTO memory_entities (memory_id, entity_id) VALUES ($1, $2)', [seeded.memoryId, rex]);
    await db.query(`UPDATE relations SET memory_id = 'gone-memory' WHERE id = $1`, [trainsAt]);
    expect((await storage.verify()).sort()).toEqual(
      [
        `relation ${trainsAt} links entity ${gym}, which does not exist`,
        `relation ${owns} links entity ${seeded.acme.id} of another scope`,
        `relation ${trainsAt} was stated with memory gone-memory, which does not exist`,
        'a mention points to memory ghost-memory, which does not exist',
        `memory ${seeded.memoryId} names entity ghost-entity, which does not exist`,
        `memory ${seeded.memoryId} names entity ${rex} of another scope`,
      ].sort(),
    );
  });

  it('reports self-loops, intervals that end before they begin, duplicate keys and a key that does not match the scope', async () => {
    const { retired } = seeded;
    const rex = await entityId('Rex', 'bob');
    await db.exec(`ALTER TABLE relations DROP CONSTRAINT relations_not_a_loop, DROP CONSTRAINT relations_valid_interval, DROP CONSTRAINT relations_recorded_interval`);
    await db.exec('ALTER TABLE entities DROP CONSTRAINT entities_key');
    await db.query('UPDATE relations SET target_id = source_id, valid_to = valid_from - 1, retired_at = recorded_at - 1 WHERE id = $1', [retired.id]);
    await db.query(
      `INSERT INTO entities (id, scope_key, user_id, name, key, type, embedding, created_at, updated_at)
       SELECT 'acme-again', scope_key, user_id, 'ACME', key, type, embedding, created_at, updated_at FROM entities WHERE id = $1`,
      [seeded.acme.id],
    );
    await pastForeignKeys(`UPDATE entities SET scope_key = '["carol",null,null]' WHERE id = $1`, [rex]);
    expect((await storage.verify()).sort()).toEqual(
      [
        `relation ${retired.id} links entity ${retired.sourceId} to itself`,
        `relation ${retired.id} ends before it begins (validTo < validFrom)`,
        `relation ${retired.id} was retired before it was recorded (retiredAt < recordedAt)`,
        `2 entities of one scope (user alice, agent -, run -) share the key "acme"`,
        'the unique index entities_key is missing (app servers could store duplicates)',
        `entity ${rex}: its exact-scope key does not match its scope`,
      ].sort(),
    );
  });

  it("reports entities without a vector, and vectors that are not of the store's dimension", async () => {
    const { acme } = seeded;
    const rex = await entityId('Rex', 'bob');
    await db.query('UPDATE entities SET embedding = NULL WHERE id = $1', [acme.id]);
    expect(await storage.verify()).toEqual([`entity ${acme.id} has no vector`]);
    // A column that lost its vector(n) type lets a vector of another dimension in.
    await db.exec('ALTER TABLE entities ALTER COLUMN embedding TYPE vector');
    await db.query(`UPDATE entities SET embedding = '[1,0,0]' WHERE id = $1`, [rex]);
    expect((await storage.verify()).sort()).toEqual(
      [
        `entity ${acme.id} has no vector`,
        `the embedding model is bound with ${DIMENSION} dimensions, but the entities' vector column is vector`,
        `entity ${rex}: its vector has 3 dimensions, not the store's ${DIMENSION}`,
      ].sort(),
    );
    await db.exec('ALTER TABLE entities DROP COLUMN embedding');
    expect(await storage.verify()).toEqual(
      expect.arrayContaining([`entity ${acme.id} has no vector`, `the embedding model is bound with ${DIMENSION} dimensions, but the entities' vector column is missing`]),
    );
  });

  it('forget leaves no relation pointing to an erased memory, in any scope', async () => {
    // A relation of Bob's that names Alice's memory (the engine does not forbid it): forgetting Alice clears the pointer.
    await db.query(`UPDATE relations SET memory_id = $1 WHERE relation = 'owns'`, [seeded.memoryId]);
    await storage.transaction('write', 'forgetting', (tx) => tx.purge({ userId: 'alice' }));
    const bobs = await storage.transaction('read', 'reading', (tx) => tx.relations({ userId: 'bob' }));
    expect(bobs.map((r) => r.memoryId)).toEqual([null]);
    expect(await storage.verify()).toEqual([]);
  });
});
