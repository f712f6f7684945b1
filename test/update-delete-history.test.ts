import { describe, expect, it } from 'vitest';
import type { Embedder } from 'engram-memory';
import { openTestMemory, testEmbedder } from './support/test-memory.js';

describe('update', () => {
  it('rewrites the text, re-embeds it, and records the old version in history', async () => {
    const memory = await openTestMemory();
    const [added] = (await memory.add('I drink coffee every morning.', { userId: 'alice', infer: false, metadata: { topic: 'food' } })).results;
    const updated = await memory.update(added!.id, 'I switched to green tea in the morning.');
    expect(updated).toMatchObject({ id: added!.id, memory: 'I switched to green tea in the morning.', metadata: { topic: 'food' } });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(updated.createdAt));

    const { results } = await memory.search('tea', { userId: 'alice', limit: 1 });
    expect(results[0]).toMatchObject({ id: added!.id, memory: 'I switched to green tea in the morning.' });

    const history = await memory.history(added!.id);
    expect(history.map((h) => [h.event, h.oldMemory, h.newMemory, h.actor])).toEqual([
      ['ADD', undefined, 'I drink coffee every morning.', 'api'],
      ['UPDATE', 'I drink coffee every morning.', 'I switched to green tea in the morning.', 'api'],
    ]);
  });

  it('replaces metadata when given, keeping the text', async () => {
    const memory = await openTestMemory();
    const [added] = (await memory.add('Daily walk at 7am', { userId: 'alice', infer: false, metadata: { a: 1 } })).results;
    const updated = await memory.update(added!.id, 'Daily walk at 7am', { metadata: { b: 2 } });
    expect(updated.metadata).toEqual({ b: 2 });
    const history = await memory.history(added!.id);
    expect(history.at(-1)).toMatchObject({ event: 'UPDATE', oldMetadata: { a: 1 }, newMetadata: { b: 2 } });
  });

  it('writes no history when nothing changes', async () => {
    const memory = await openTestMemory();
    const [added] = (await memory.add('Likes chess', { userId: 'alice', infer: false })).results;
    await memory.update(added!.id, 'Likes chess');
    expect(await memory.history(added!.id)).toHaveLength(1);
  });

  it('refuses to turn a memory into a duplicate of another in its scope', async () => {
    const memory = await openTestMemory();
    const { results } = await memory.add(
      [
        { role: 'user', content: 'Likes chess' },
        { role: 'user', content: 'Likes go' },
      ],
      { userId: 'alice', infer: false },
    );
    await expect(memory.update(results[1]!.id, 'likes chess.')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await memory.get(results[1]!.id))?.memory).toBe('Likes go');
  });
});

describe('update with ifVersion: a change unseen is never overwritten', () => {
  it('refuses with CONFLICT when the memory moved past the version read, and writes nothing', async () => {
    const memory = await openTestMemory();
    const [added] = (await memory.add('Alice drinks coffee black.', { userId: 'alice', infer: false })).results;
    const id = added!.id;
    const v2 = await memory.update(id, 'Alice drinks coffee with milk.', { ifVersion: 1 });
    expect(v2.version).toBe(2);
    await expect(memory.update(id, 'Alice drinks tea.', { ifVersion: 1, changedBy: 'user' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/version 2/) });
    expect((await memory.get(id))?.memory).toBe('Alice drinks coffee with milk.');
    expect(await memory.history(id)).toHaveLength(2);
    await expect(memory.update(id, 'Alice drinks tea.', { ifVersion: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // delete takes it too: what the caller never saw is not deleted.
    await expect(memory.delete(id, { ifVersion: 1, changedBy: 'user' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await memory.get(id))?.version).toBe(2);
    await memory.delete(id, { ifVersion: 2, changedBy: 'user' });
    expect(await memory.get(id)).toBeNull();
    expect((await memory.history(id)).map((h) => [h.event, h.actor])).toEqual([
      ['ADD', 'api'],
      ['UPDATE', 'api'],
      ['DELETE', 'user'],
    ]);
  });

  it('checks again inside the write: a change that lands while the new text is embedded is a CONFLICT too', async () => {
    let sneak: (() => Promise<unknown>) | undefined;
    const base = testEmbedder();
    const embedder: Embedder = {
      id: base.id,
      dimension: base.dimension,
      async embed(texts, purpose) {
        const vectors = await base.embed(texts, purpose);
        const change = sneak;
        sneak = undefined;
        if (change) await change();
        return vectors;
      },
    };
    const memory = await openTestMemory({ embedder });
    const [added] = (await memory.add('Alice walks Rex at seven.', { userId: 'alice', infer: false })).results;
    const id = added!.id;
    // The model's change (metadata only: nothing to embed) lands between the read and the write.
    sneak = () => memory.update(id, 'Alice walks Rex at seven.', { metadata: { source: 'model' } });
    await expect(memory.update(id, 'Alice walks Rex at eight.', { ifVersion: 1, changedBy: 'user' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await memory.get(id)).toMatchObject({ version: 2, memory: 'Alice walks Rex at seven.', metadata: { source: 'model' } });
  });
});

describe('delete', () => {
  it('hides the memory from get, getAll and search, and keeps its history', async () => {
    const memory = await openTestMemory();
    const { results } = await memory.add(
      [
        { role: 'user', content: 'My locker code is 4512.' },
        { role: 'user', content: 'My favourite colour is blue.' },
      ],
      { userId: 'alice', infer: false },
    );
    const gone = results[0]!.id;
    await memory.delete(gone);
    expect(await memory.get(gone)).toBeNull();
    expect((await memory.getAll({ userId: 'alice' })).results.map((r) => r.id)).toEqual([results[1]!.id]);
    expect((await memory.search('locker code', { userId: 'alice' })).results.map((r) => r.id)).not.toContain(gone);
    const history = await memory.history(gone);
    expect(history.map((h) => [h.event, h.oldMemory, h.newMemory])).toEqual([
      ['ADD', undefined, 'My locker code is 4512.'],
      ['DELETE', 'My locker code is 4512.', undefined],
    ]);
  });

  it('lets the same text be added again after deletion, as a new memory', async () => {
    const memory = await openTestMemory();
    const [first] = (await memory.add('Owns a bike', { userId: 'alice', infer: false })).results;
    await memory.delete(first!.id);
    const [second] = (await memory.add('Owns a bike', { userId: 'alice', infer: false })).results;
    expect(second!.event).toBe('ADD');
    expect(second!.id).not.toBe(first!.id);
  });

  it('fails with NOT_FOUND the second time', async () => {
    const memory = await openTestMemory();
    const [added] = (await memory.add('Temporary', { userId: 'alice', infer: false })).results;
    await memory.delete(added!.id);
    await expect(memory.delete(added!.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(memory.update(added!.id, 'changed')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('reset', () => {
  it('erases every memory and its history', async () => {
    const memory = await openTestMemory();
    const [added] = (await memory.add('Something', { userId: 'alice', infer: false })).results;
    await memory.reset();
    expect((await memory.getAll({ userId: 'alice' })).results).toEqual([]);
    await expect(memory.history(added!.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await memory.add('Something', { userId: 'alice', infer: false })).results[0]!.event).toBe('ADD');
  });
});
