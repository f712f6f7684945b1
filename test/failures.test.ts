import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Memory, type Embedder } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { snapshotStore } from './support/store-snapshot.js';
import { closeAfterTest, tempDbPath } from './support/test-memory.js';

/** An embedder whose behaviour a test switches: fine, throwing, or returning vectors of the wrong shape. */
class UnreliableEmbedder implements Embedder {
  readonly id = 'test/unreliable';
  readonly dimension = 16;
  mode: 'ok' | 'throw' | 'short' | 'nan' | 'count' = 'ok';
  private readonly inner = new HashingEmbedder(16);
  async embed(texts: string[]): Promise<Float32Array[]> {
    const vectors = await this.inner.embed(texts);
    if (this.mode === 'throw') throw new Error('out of memory');
    if (this.mode === 'short') return vectors.map((v) => v.slice(0, 8));
    if (this.mode === 'nan') return vectors.map((v) => v.map(() => Number.NaN));
    if (this.mode === 'count') return vectors.slice(1);
    return vectors;
  }
}

describe('when something below the API fails', () => {
  it.each(['throw', 'short', 'nan', 'count'] as const)('an embedder that fails (%s) gives EMBEDDING_FAILED and writes nothing', async (mode) => {
    const path = tempDbPath();
    const embedder = new UnreliableEmbedder();
    const memory = closeAfterTest(await Memory.open({ path, embedder }));
    const [kept] = (await memory.add('kept', { userId: 'u', infer: false })).results;
    const before = snapshotStore(path);
    embedder.mode = mode;
    await expect(memory.add(['one', 'two'].map((content) => ({ role: 'user' as const, content })), { userId: 'u', infer: false })).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
    });
    await expect(memory.update(kept!.id, 'changed')).rejects.toMatchObject({ code: 'EMBEDDING_FAILED' });
    await expect(memory.search('anything new', { userId: 'u' })).rejects.toMatchObject({ code: 'EMBEDDING_FAILED' });
    expect(snapshotStore(path)).toBe(before);
  });

  it('a write blocked by another process’s lock fails with DB_LOCKED after the busy timeout, changing nothing', async () => {
    const path = tempDbPath();
    const memory = closeAfterTest(await Memory.open({ path, embedder: new HashingEmbedder(), busyTimeoutMs: 50 }));
    await memory.add('before the lock', { userId: 'u', infer: false });
    const other = new BetterSqlite3(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(memory.add('during the lock', { userId: 'u', infer: false })).rejects.toMatchObject({ code: 'DB_LOCKED' });
      expect((await memory.getAll({ userId: 'u' })).results.map((r) => r.memory)).toEqual(['before the lock']); // reads still work in WAL
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await memory.add('during the lock', { userId: 'u', infer: false })).results[0]!.event).toBe('ADD');
  });

  it('a call in flight when the Memory closes fails with CLOSED', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Embedder = {
      id: 'test/slow',
      dimension: 4,
      embed: async (texts) => {
        await gate;
        return texts.map(() => Float32Array.of(1, 0, 0, 0));
      },
    };
    const memory = await Memory.open({ path: ':memory:', embedder: slow });
    const pending = memory.add('late', { userId: 'u', infer: false });
    await memory.close();
    release();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
