import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Memory } from 'engram-memory';
import { PostgresStorage } from '../src/engines/postgres/postgres-storage.js';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { startDatabase, type Database } from './support/postgres-database.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';

/**
 * Per-scope order of inferring adds across processes: each takes a session
 * advisory lock on its exact scope for the whole add (read, model, write).
 * On PGlite (one session for everyone) a lock cannot exclude another
 * connection, so exclusion itself is checked only against a real server
 * (ENGRAM_TEST_POSTGRES_URL); everywhere, the lock must be held during the
 * model call and given back after it, even when the model fails.
 */
describe('inferring adds of one scope take turns across app servers (PostgreSQL advisory locks)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await startDatabase();
  });
  afterAll(async () => {
    await database?.stop();
  });

  const advisoryLocks = async (storage: PostgresStorage) =>
    storage.transaction('read', 'counting locks', async () => undefined).then(async () => {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        return Number((await client.query(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted`)).rows[0]?.n);
      } finally {
        await client.end();
      }
    });

  it('holds the scope lock while the model thinks and gives it back after, also when the model fails', async () => {
    const storage = await PostgresStorage.open({ url: database.url });
    const memory = await Memory.open({ storage, embedder: new HashingEmbedder(16), llm: null });
    const held: number[] = [];
    const llm = new ScriptedLlm(
      async () => {
        held.push(await advisoryLocks(storage));
        return ops({ event: 'ADD', text: 'I take metformin' });
      },
      async () => {
        held.push(await advisoryLocks(storage));
        throw new Error('the model crashed');
      },
    );
    const thinking = await Memory.open({ storage, embedder: new HashingEmbedder(16), llm });
    try {
      await thinking.add('I take metformin every morning', { userId: 'alice' });
      await expect(thinking.add('and something else', { userId: 'alice' })).rejects.toMatchObject({ code: 'LLM_FAILED' });
      expect(held).toEqual([1, 1]);
      expect(await advisoryLocks(storage)).toBe(0);
      expect((await memory.getAll({ userId: 'alice' })).results.map((r) => r.memory)).toEqual(['I take metformin']);
    } finally {
      await thinking.close();
      await memory.close();
      await storage.close();
    }
  });

  it('makes a second app server wait for the first one’s add of the same scope, not another scope’s', async () => {
    const first = await PostgresStorage.open({ url: database.url });
    const second = await PostgresStorage.open({ url: database.url });
    try {
      const order: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const a = first.withScopeLock({ userId: 'bob' }, async () => {
        order.push('first starts');
        await gate;
        order.push('first ends');
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const other = second.withScopeLock({ userId: 'carol' }, async () => void order.push('another scope runs'));
      await other;
      const b = second.withScopeLock({ userId: 'bob' }, async () => void order.push('second runs'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await Promise.all([a, b]);
      // Another scope never waits.
      expect(order.slice(0, 2)).toEqual(['first starts', 'another scope runs']);
      expect(order).toHaveLength(4);
      // PGlite serves every connection from one session: a lock there excludes no one, so only a real server can show the wait.
      if (process.env.ENGRAM_TEST_POSTGRES_URL) expect(order.slice(2)).toEqual(['first ends', 'second runs']);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
