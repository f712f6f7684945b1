import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openTestMemory } from './support/test-memory.js';

/** An instant strictly between two writes. */
async function instant(): Promise<Date> {
  await sleep(5);
  const at = new Date();
  await sleep(5);
  return at;
}

describe('versions and asOf', () => {
  it('an update keeps the id, adds a version, and the old text stays readable as of before', async () => {
    const memory = await openTestMemory();
    const [added] = (await memory.add('I live in Lisbon.', { userId: 'alice', infer: false })).results;
    const before = await instant();
    const updated = await memory.update(added!.id, 'I live in Berlin.');
    expect(updated).toMatchObject({ id: added!.id, version: 2, memory: 'I live in Berlin.' });

    expect((await memory.getAll({ userId: 'alice' })).results.map((r) => r.memory)).toEqual(['I live in Berlin.']);
    const past = await memory.getAll({ userId: 'alice', asOf: before });
    expect(past.results.map((r) => [r.id, r.version, r.memory])).toEqual([[added!.id, 1, 'I live in Lisbon.']]);
    expect(past.results[0]!.validTo).toBeDefined();
    const pastSearch = await memory.search('which city', { userId: 'alice', asOf: before.toISOString() });
    expect(pastSearch.results.map((r) => r.memory)).toEqual(['I live in Lisbon.']);
  });

  it('a deleted memory is gone from reads now, but present as of before its deletion', async () => {
    const memory = await openTestMemory();
    const [added] = (await memory.add('My gym locker is 17.', { userId: 'alice', infer: false })).results;
    const before = await instant();
    await memory.delete(added!.id);
    expect((await memory.search('gym locker', { userId: 'alice' })).results).toEqual([]);
    expect((await memory.search('gym locker', { userId: 'alice', asOf: before })).results.map((r) => r.id)).toEqual([added!.id]);
    const after = await instant();
    expect((await memory.getAll({ userId: 'alice', asOf: after })).results).toEqual([]);
  });

  it('asOf before a memory was observed does not show it', async () => {
    const memory = await openTestMemory();
    await memory.add([{ role: 'user', content: 'Started a new job at the clinic.', createdAt: '2024-06-01T09:00:00Z' }], { userId: 'u', infer: false });
    expect((await memory.getAll({ userId: 'u', asOf: '2024-05-31T00:00:00Z' })).results).toEqual([]);
    expect((await memory.getAll({ userId: 'u', asOf: '2024-06-02T00:00:00Z' })).results).toHaveLength(1);
  });

  it('verify() finds no violation after adds, updates, deletes and deleteAll', async () => {
    const memory = await openTestMemory();
    const { results } = await memory.add(['a', 'b', 'c', 'd'].map((x) => ({ role: 'user' as const, content: `fact ${x}` })), { userId: 'u', infer: false });
    await memory.update(results[0]!.id, 'fact a, revised');
    await memory.update(results[0]!.id, 'fact a, revised', { metadata: { tag: 1 } });
    await memory.delete(results[1]!.id);
    await memory.deleteAll({ userId: 'u' });
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });
});

describe('forget', () => {
  it('erases a scope completely — versions, history, messages — and nothing else', async () => {
    const memory = await openTestMemory();
    const [alice] = (await memory.add('Alice has asthma.', { userId: 'alice', infer: false })).results;
    await memory.update(alice!.id, 'Alice has mild asthma.');
    const [aliceCoach] = (await memory.add('Alice trains on Tuesdays.', { userId: 'alice', agentId: 'coach', infer: false })).results;
    const [bob] = (await memory.add('Bob has asthma.', { userId: 'bob', infer: false })).results;

    expect(await memory.forget({ userId: 'alice' })).toEqual({ memories: 2, messages: 2, jobs: 0, entities: 0, relations: 0 });
    for (const id of [alice!.id, aliceCoach!.id]) {
      expect(await memory.get(id)).toBeNull();
      await expect(memory.history(id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    expect((await memory.search('asthma', { userId: 'alice', asOf: new Date(Date.now() - 60_000) })).results).toEqual([]);
    expect(await memory.get(bob!.id)).toMatchObject({ memory: 'Bob has asthma.' });
    expect((await memory.history(bob!.id)).map((h) => h.event)).toEqual(['ADD']);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });

  it('needs a scope', async () => {
    const memory = await openTestMemory();
    await expect(memory.forget({})).rejects.toMatchObject({ code: 'SCOPE_REQUIRED' });
  });
});

describe('verify', () => {
  it('reports a missing vector, an orphan history row and two current versions', async () => {
    const { Memory } = await import('engram-memory');
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const sqliteVec = await import('sqlite-vec');
    const { tempDbPath, TEST_EMBEDDING_MODEL, closeAfterTest } = await import('./support/test-memory.js');
    const path = tempDbPath();
    const memory = closeAfterTest(await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } }));
    const { results } = await memory.add([{ role: 'user', content: 'one' }, { role: 'user', content: 'two' }], { userId: 'u', infer: false });

    const raw = new BetterSqlite3(path);
    sqliteVec.load(raw);
    raw.prepare('DELETE FROM memory_vectors WHERE memory_seq = (SELECT seq FROM memories WHERE id = ?)').run(results[0]!.id);
    raw.prepare(`INSERT INTO history (memory_id, event, actor, created_at) VALUES ('ghost', 'ADD', 'api', 0)`).run();
    raw.close();

    const { ok, problems } = await memory.verify();
    expect(ok).toBe(false);
    expect(problems).toEqual(
      expect.arrayContaining([`memory ${results[0]!.id} version 1 has no vector`, 'history points to memory ghost, which does not exist']),
    );
  });
});
