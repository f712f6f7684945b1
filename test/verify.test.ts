import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Memory } from 'engram-memory';
import { SqliteStorage } from '../src/store/sqlite-storage.js';
import { entity, relation } from './support/graph-seed.js';
import { HashingEmbedder } from './support/hashing-embedder.js';

/**
 * verify() is the oracle of the crash, property and fuzz tests, so each of its
 * checks is made to fire here: every invariant is broken by hand in a copy of
 * a healthy file, and the copy's report must name it.
 */
const embedder = () => new HashingEmbedder(8, 'verify/a');
let dir: string;
let healthy: string;
const ids: Record<'updated' | 'deleted' | 'plain', string> = { updated: '', deleted: '', plain: '' };
const U1 = { userId: 'u1' };
/** The entity graph of the healthy file: u1 lives in Lisbon (stated by the updated memory); another user's entity. */
const graph = { me: entity('u1', U1, { type: 'user' }), lisbon: entity('Lisbon', U1, { type: 'place' }), elsewhere: entity('Porto', { userId: 'u2' }, { type: 'place' }) };

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  // One folder for the whole file (the per-test temp folders go after each test).
  dir = mkdtempSync(join(tmpdir(), 'engram-verify-'));
  healthy = join(dir, 'healthy.db');
  const memory = await Memory.open({ path: healthy, embedder: embedder(), llm: null });
  const [updated, deleted, plain] = (
    await memory.add(
      [
        { role: 'user', content: 'I live in Lisbon' },
        { role: 'user', content: 'I play the violin' },
        { role: 'user', content: 'I drink green tea' },
      ],
      { userId: 'u1', infer: false },
    )
  ).results;
  ids.updated = updated?.id as string;
  ids.deleted = deleted?.id as string;
  ids.plain = plain?.id as string;
  await memory.update(ids.updated, 'I live in Porto');
  await memory.delete(ids.deleted);
  await memory.close();
  const storage = await SqliteStorage.open({ path: healthy, busyTimeoutMs: 5_000 });
  await storage.bindEmbeddingModel('verify/a', 8);
  await storage.transaction('write', 'seeding the graph', async (tx) => {
    for (const e of Object.values(graph)) await tx.insertEntity(e);
    await tx.insertRelation(relation(graph.me, 'lives_in', graph.lisbon, { memoryId: ids.updated }));
    await tx.setMentions(ids.updated, [graph.me.id, graph.lisbon.id]);
    await tx.setMentions(ids.plain, [graph.me.id]);
  });
  await storage.close();
  expect(await problemsOf(healthy)).toEqual([]);
});

let copies = 0;
/** A copy of the healthy file, changed by `breakIt` through a raw connection (with sqlite-vec loaded). */
function brokenCopy(breakIt: (db: BetterSqlite3.Database) => void): string {
  const path = join(dir, `broken-${++copies}.db`);
  copyFileSync(healthy, path);
  const db = new BetterSqlite3(path);
  sqliteVec.load(db);
  breakIt(db);
  db.close();
  return path;
}

async function problemsOf(path: string): Promise<string[]> {
  const memory = await Memory.open({ path, embedder: embedder(), llm: null });
  try {
    const { ok, problems } = await memory.verify();
    expect(ok).toBe(problems.length === 0);
    return problems;
  } finally {
    await memory.close();
  }
}

const seqOf = (db: BetterSqlite3.Database, id: string, version = 1) =>
  db.prepare('SELECT seq FROM memories WHERE id = ? AND version = ?').pluck().get(id, version) as number;

describe('verify() reports every broken invariant', () => {
  const cases: [string, (db: BetterSqlite3.Database) => void, RegExp][] = [
    ['a version without its vector', (db) => db.prepare('DELETE FROM memory_vectors WHERE memory_seq = ?').run(BigInt(seqOf(db, ids.plain))), /has no vector/],
    [
      'a vector of no memory',
      (db) =>
        db
          .prepare(`INSERT INTO memory_vectors (memory_seq, embedding, user_id, agent_id, run_id, valid_from, valid_to) VALUES (999, ?, 'u1', '', '', 0, 253402300799999)`)
          .run(Buffer.from(new Float32Array(8).fill(0.1).buffer)),
      /vector 999 belongs to no memory/,
    ],
    ["a vector whose scope differs from its row's", (db) => db.prepare(`UPDATE memory_vectors SET agent_id = 'other' WHERE memory_seq = ?`).run(BigInt(seqOf(db, ids.plain))), /scope or validity differs/],
    ['a version overlapping the next one', (db) => db.prepare('UPDATE memories SET valid_to = valid_to + 5000 WHERE id = ? AND version = 1').run(ids.updated), /overlaps the next version/],
    [
      'a version that ends before it begins',
      (db) => {
        db.prepare('UPDATE memories SET valid_from = valid_to + 10 WHERE id = ?').run(ids.deleted);
        db.prepare('UPDATE memory_vectors SET valid_from = valid_to + 10 WHERE memory_seq = ?').run(BigInt(seqOf(db, ids.deleted)));
      },
      /ends before it begins/,
    ],
    ['a memory whose scope changed between versions', (db) => db.prepare(`UPDATE memories SET user_id = 'u2' WHERE id = ? AND version = 2`).run(ids.updated), /changed scope between versions/],
    [
      'history of a memory that does not exist',
      (db) => db.prepare(`INSERT INTO history (memory_id, event, new_text, actor, created_at) VALUES ('ghost', 'ADD', 'boo', 'api', 0)`).run(),
      /history points to memory ghost/,
    ],
    ['a memory without ADD in its history', (db) => db.prepare(`DELETE FROM history WHERE memory_id = ? AND event = 'ADD'`).run(ids.plain), /has no ADD in its history/],
    [
      'more history changes than versions',
      (db) => db.prepare(`INSERT INTO history (memory_id, event, old_text, new_text, actor, created_at) VALUES (?, 'UPDATE', 'a', 'b', 'api', 1)`).run(ids.plain),
      /has 1 versions but 2 ADD\/UPDATE history rows/,
    ],
    [
      'a memory closed without DELETE in its history',
      (db) => {
        db.prepare('UPDATE memories SET valid_to = valid_from + 1 WHERE id = ?').run(ids.plain);
        db.prepare('UPDATE memory_vectors SET valid_to = valid_from + 1 WHERE memory_seq = ?').run(BigInt(seqOf(db, ids.plain)));
      },
      /closed without a DELETE/,
    ],
    ['a full-text index out of sync', (db) => db.prepare(`INSERT INTO memory_fts (memory_fts, rowid, text) VALUES ('delete', ?, 'I drink green tea')`).run(seqOf(db, ids.plain)), /full-text index out of sync/],
    ['a vector holding NaN', (db) => db.prepare('UPDATE memory_vectors SET embedding = ? WHERE memory_seq = ?').run(Buffer.from(new Float32Array(8).fill(Number.NaN).buffer), BigInt(seqOf(db, ids.plain))), /NaN or infinite/],
    [
      'a relation linking an entity that does not exist',
      (db) => {
        db.pragma('foreign_keys = OFF');
        db.prepare(`UPDATE relations SET target_id = 'ghost-entity'`).run();
      },
      /relation \S+ links entity ghost-entity, which does not exist/,
    ],
    [
      'a relation and its entity in different scopes',
      (db) => {
        db.pragma('foreign_keys = OFF');
        db.prepare('UPDATE relations SET target_id = ?').run(graph.elsewhere.id);
      },
      new RegExp(`relation \\S+ and its entity ${graph.elsewhere.id} belong to different scopes`),
    ],
    [
      'a relation linking an entity to itself',
      (db) => {
        db.pragma('ignore_check_constraints = ON');
        db.prepare('UPDATE relations SET target_id = source_id').run();
      },
      /relation \S+ links an entity to itself/,
    ],
    [
      'a relation that ends before it begins',
      (db) => {
        db.pragma('ignore_check_constraints = ON');
        db.prepare('UPDATE relations SET valid_to = valid_from - 1').run();
      },
      /relation \S+ ends before it begins/,
    ],
    [
      'a relation retired before it was recorded',
      (db) => {
        db.pragma('ignore_check_constraints = ON');
        db.prepare('UPDATE relations SET retired_at = recorded_at - 1').run();
      },
      /relation \S+ was retired before it was recorded/,
    ],
    [
      'a relation stated with a memory that does not exist',
      (db) => db.prepare(`UPDATE relations SET memory_id = 'ghost'`).run(),
      /relation \S+ was stated with memory ghost, which does not exist/,
    ],
    [
      'a mention of a memory that does not exist',
      (db) => db.prepare(`INSERT INTO memory_entities (memory_id, entity_id) VALUES ('ghost', ?)`).run(graph.me.id),
      /mention of entity \S+ points to memory ghost, which does not exist/,
    ],
    [
      'a mention of an entity that does not exist',
      (db) => {
        db.pragma('foreign_keys = OFF');
        db.prepare(`INSERT INTO memory_entities (memory_id, entity_id) VALUES (?, 'ghost-entity')`).run(ids.plain);
      },
      /names entity ghost-entity, which does not exist/,
    ],
    [
      "a mention of another scope's entity",
      (db) => db.prepare('INSERT INTO memory_entities (memory_id, entity_id) VALUES (?, ?)').run(ids.plain, graph.elsewhere.id),
      /memory \S+ and entity \S+, which it names, belong to different scopes/,
    ],
    [
      "an entity whose scope key differs from its scope",
      (db) => db.prepare(`UPDATE entities SET agent_id = 'coach' WHERE id = ?`).run(graph.elsewhere.id),
      /entity \S+: its scope key differs from its scope/,
    ],
    ['an entity vector of the wrong length', (db) => db.prepare('UPDATE entities SET embedding = zeroblob(12) WHERE id = ?').run(graph.lisbon.id), /vector holds 12 bytes, not 32/],
    [
      'an entity vector holding NaN',
      (db) => db.prepare('UPDATE entities SET embedding = ? WHERE id = ?').run(Buffer.from(new Float32Array(8).fill(Number.NaN).buffer), graph.lisbon.id),
      /entity \S+'s vector holds NaN or infinite values/,
    ],
    [
      'a pending reindex vector of an erased memory',
      (db) => db.prepare(`INSERT INTO reindex_vectors (memory_id, version, hash, embedding) VALUES ('erased', 1, 'h', x'00')`).run(),
      /pending reindex vector of memory erased/,
    ],
  ];

  for (const [name, breakIt, expected] of cases) {
    it(`finds ${name}`, async () => {
      const problems = await problemsOf(brokenCopy(breakIt));
      expect(problems.join('\n')).toMatch(expected);
    });
  }

  it('finds a staging copy left beside the file by a killed encrypt', async () => {
    const path = brokenCopy(() => {});
    writeFileSync(`${path}.rekey-4242`, 'SQLite format 3\0 plaintext copy');
    expect((await problemsOf(path)).join('\n')).toMatch(/rekey-4242 is a staging copy .* may hold plaintext/);
  });

  it('returns a damaged b-tree page as a problem instead of throwing, and goes on with the other checks', async () => {
    let page = 0;
    let size = 0;
    const path = brokenCopy((db) => {
      // Nothing that opening the file reads: the history table's root page.
      page = db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'history'`).pluck().get() as number;
      size = db.pragma('page_size', { simple: true }) as number;
    });
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(size, 0xa5), 0, size, (page - 1) * size);
    closeSync(fd);
    const problems = await problemsOf(path);
    expect(problems.join('\n')).toMatch(/sqlite integrity|malformed|could not check/);
    expect(problems.length).toBeGreaterThan(0);
  });

  it('says a damaged plain file is damaged, not that it needs ENGRAM_KEY', async () => {
    let page = 0;
    let size = 0;
    const path = brokenCopy((db) => {
      page = db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'meta'`).pluck().get() as number; // read by every open
      size = db.pragma('page_size', { simple: true }) as number;
    });
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(size, 0x5a), 0, size, (page - 1) * size);
    closeSync(fd);
    const error = await Memory.open({ path, embedder: embedder(), llm: null }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DB_INVALID' });
    expect((error as Error).message).toMatch(/damaged.*backup/);
    expect((error as Error).message).not.toMatch(/ENGRAM_KEY|encrypt/);
  });

  it('needs no check for two current versions of one memory: the unique index forbids them', () => {
    expect(() =>
      brokenCopy((db) => {
        const row = db.prepare('SELECT * FROM memories WHERE id = ? AND valid_to IS NULL').get(ids.plain) as Record<string, unknown>;
        db.prepare(
          `INSERT INTO memories (id, version, text, hash, kind, user_id, metadata, created_at, updated_at, valid_from)
           VALUES (@id, 2, 'another text', 'other-hash', @kind, @user_id, @metadata, @created_at, @updated_at, @valid_from)`,
        ).run(row);
      }),
    ).toThrow(/UNIQUE constraint failed: memories.id/);
  });
});
