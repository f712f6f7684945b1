import { statSync, writeFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Memory } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { snapshotStore } from './support/store-snapshot.js';
import { closeAfterTest, TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

describe('the database file', () => {
  it('grows by about what is stored: a user with one memory costs well under a megabyte', async () => {
    const path = tempDbPath();
    const embedder = new HashingEmbedder(384);
    const memory = await Memory.open({ path, embedder });
    for (let u = 0; u < 40; u++) await memory.add(`User ${u} likes tea.`, { userId: `user-${u}`, infer: false });
    await memory.close(); // checkpoints the WAL into the file
    // Vectors are stored in per-user chunks; with vec0's default of 1,024 rows a chunk this file would pass 60 MB.
    expect(statSync(path).size).toBeLessThan(20 * 2 ** 20);
  });

  it('keeps memories, history and search across close and reopen', async () => {
    const path = tempDbPath();
    const first = await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } });
    const [added] = (await first.add('I am training for a marathon in April.', { userId: 'alice', infer: false })).results;
    await first.update(added!.id, 'I am training for a marathon in May.');
    await first.close();

    const second = closeAfterTest(await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } }));
    expect((await second.get(added!.id))?.memory).toBe('I am training for a marathon in May.');
    expect((await second.search('running race', { userId: 'alice' })).results[0]?.id).toBe(added!.id);
    expect((await second.history(added!.id)).map((h) => h.event)).toEqual(['ADD', 'UPDATE']);
  });

  it('refuses to open with another embedding model, leaving the file untouched', async () => {
    const path = tempDbPath();
    const first = await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } });
    await first.add('A fact', { userId: 'alice', infer: false });
    await first.close();
    const before = snapshotStore(path);

    const error = await Memory.open({ path, embedder: new HashingEmbedder(100, 'other-model') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    expect(String((error as Error).message)).toContain('engram reindex');
    await expect(Memory.open({ path, embedder: new HashingEmbedder(32) })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    expect(snapshotStore(path)).toBe(before);
  });

  it('works with a custom Embedder instance', async () => {
    const embedder = new HashingEmbedder(16);
    const memory = closeAfterTest(await Memory.open({ path: ':memory:', embedder }));
    await memory.add('green apples', { userId: 'u', infer: false });
    expect((await memory.search('apples', { userId: 'u' })).results[0]?.memory).toBe('green apples');
    expect(embedder.calls).toBe(2);
  });

  it('fails with MODEL_NOT_FOUND for a missing model folder, creating no file', async () => {
    const dir = tempDir();
    const error = await Memory.open({ path: `${dir}/m.db`, embedder: { model: `${dir}/no-such-model` } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect((error as Error).message).toContain('no-such-model');
  });

  it('refuses a SQLite file that belongs to something else, and a file that is not SQLite', async () => {
    const path = tempDbPath();
    const other = new BetterSqlite3(path);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
    other.close();
    await expect(Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } })).rejects.toMatchObject({ code: 'DB_INVALID' });

    const junk = `${tempDir()}/junk.db`;
    writeFileSync(junk, 'this is not a database, just text that is long enough to look like a header'.repeat(20));
    await expect(Memory.open({ path: junk, embedder: { model: TEST_EMBEDDING_MODEL } })).rejects.toMatchObject({ code: 'DB_INVALID' });
  });

  it('refuses a database written by a newer Engram', async () => {
    const path = tempDbPath();
    (await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } })).close();
    const db = new BetterSqlite3(path);
    db.prepare(`UPDATE meta SET value = '999' WHERE key = 'schema_version'`).run();
    db.close();
    await expect(Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } })).rejects.toMatchObject({ code: 'DB_INVALID' });
  });

  it('rejects calls after close with CLOSED', async () => {
    const memory = await Memory.open({ path: ':memory:', embedder: new HashingEmbedder() });
    await memory.close();
    await memory.close();
    await expect(memory.getAll({ userId: 'a' })).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('closes itself at the end of an await using block', async () => {
    let escaped: Memory | undefined;
    {
      await using memory = await Memory.open({ path: ':memory:', embedder: new HashingEmbedder() });
      escaped = memory;
      await memory.add('inside', { userId: 'a', infer: false });
    }
    await expect(escaped.get('x')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
