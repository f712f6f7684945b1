import { describe, expect, it } from 'vitest';
import { openTestMemory, TEST_EMBEDDING_MODEL } from './support/test-memory.js';

describe('add with infer: false', () => {
  it('stores each user and assistant message as a memory, skipping system messages', async () => {
    const memory = await openTestMemory();
    const { results } = await memory.add(
      [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'I live in Lisbon with my two cats.' },
        { role: 'assistant', content: 'Lisbon is a lovely city for cats.' },
      ],
      { userId: 'alice', infer: false },
    );
    expect(results.map((r) => [r.event, r.memory])).toEqual([
      ['ADD', 'I live in Lisbon with my two cats.'],
      ['ADD', 'Lisbon is a lovely city for cats.'],
    ]);
    const stored = await memory.get(results[0]!.id);
    expect(stored).toMatchObject({ id: results[0]!.id, memory: 'I live in Lisbon with my two cats.', userId: 'alice', kind: 'semantic', metadata: {} });
    expect(stored?.agentId).toBeUndefined();
    expect(stored?.validTo).toBeUndefined();
  });

  it('treats a string as one user message and keeps metadata and kind', async () => {
    const memory = await openTestMemory();
    const { results } = await memory.add('Took ibuprofen 200 mg at noon', {
      userId: 'bob',
      infer: false,
      kind: 'episodic',
      metadata: { topic: 'health', tags: ['medication'], severity: 2 },
    });
    expect(results).toHaveLength(1);
    expect(await memory.get(results[0]!.id)).toMatchObject({
      memory: 'Took ibuprofen 200 mg at noon',
      kind: 'episodic',
      metadata: { topic: 'health', tags: ['medication'], severity: 2 },
    });
  });

  it('does not store a text twice in the same scope: the repeat is NONE with the existing id', async () => {
    const memory = await openTestMemory();
    const first = await memory.add('I prefer green tea.', { userId: 'alice', infer: false });
    const again = await memory.add(
      [
        { role: 'user', content: 'i prefer   green tea' },
        { role: 'user', content: 'I PREFER GREEN TEA!' },
      ],
      { userId: 'alice', infer: false },
    );
    expect(again.results.map((r) => r.event)).toEqual(['NONE', 'NONE']);
    expect(again.results.every((r) => r.id === first.results[0]!.id)).toBe(true);
    expect((await memory.getAll({ userId: 'alice' })).results).toHaveLength(1);
  });

  it('stores the same text separately in different scopes', async () => {
    const memory = await openTestMemory();
    const a = await memory.add('I prefer green tea.', { userId: 'alice', infer: false });
    const b = await memory.add('I prefer green tea.', { userId: 'bob', infer: false });
    const c = await memory.add('I prefer green tea.', { userId: 'alice', agentId: 'coach', infer: false });
    expect([a, b, c].map((r) => r.results[0]!.event)).toEqual(['ADD', 'ADD', 'ADD']);
    expect(new Set([a, b, c].map((r) => r.results[0]!.id)).size).toBe(3);
  });

  it('dedupes repeats within one call', async () => {
    const memory = await openTestMemory();
    const { results } = await memory.add(
      [
        { role: 'user', content: 'Remember the milk' },
        { role: 'user', content: 'remember the milk.' },
      ],
      { runId: 'session-1', infer: false },
    );
    expect(results.map((r) => r.event)).toEqual(['ADD', 'NONE']);
    expect(results[1]!.id).toBe(results[0]!.id);
  });

  it('dates a memory from its message', async () => {
    const memory = await openTestMemory();
    const { results } = await memory.add([{ role: 'user', content: 'We adopted a dog named Rex.', createdAt: '2023-05-08T13:56:00Z' }], {
      userId: 'carol',
      infer: false,
    });
    const item = await memory.get(results[0]!.id);
    expect(item?.validFrom).toBe('2023-05-08T13:56:00.000Z');
    expect(Date.parse(item!.createdAt)).toBeGreaterThan(Date.parse('2024-01-01'));
  });

  it('with infer: true (the default) and no model file, fails with MODEL_NOT_FOUND naming the command, storing nothing', async () => {
    const memory = await openTestMemory({ llm: { model: TEST_EMBEDDING_MODEL + '/../no-llm.gguf' } }).catch((e: unknown) => e);
    expect(memory).toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});

describe('search', () => {
  it('ranks memories by meaning, best first, with scores in [0, 1]', async () => {
    const memory = await openTestMemory();
    await memory.add(
      [
        { role: 'user', content: 'My dog loves playing fetch in the park.' },
        { role: 'user', content: 'Quarterly revenue grew by ten percent.' },
        { role: 'user', content: 'I am allergic to penicillin.' },
      ],
      { userId: 'alice', infer: false },
    );
    const { results } = await memory.search('puppy playing with a ball', { userId: 'alice' });
    expect(results).toHaveLength(3);
    expect(results[0]!.memory).toBe('My dog loves playing fetch in the park.');
    for (const r of results) expect(r.score).toBeGreaterThanOrEqual(0), expect(r.score).toBeLessThanOrEqual(1);
    const scores = results.map((r) => r.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);

    const medical = await memory.search('which antibiotics should she avoid', { userId: 'alice', limit: 1 });
    expect(medical.results.map((r) => r.memory)).toEqual(['I am allergic to penicillin.']);
  });

  it('honours limit and threshold', async () => {
    const memory = await openTestMemory();
    await memory.add(
      ['I play the piano.', 'I play the violin.', 'I own a red bicycle.', 'My sister lives in Berlin.'].map((content) => ({
        role: 'user' as const,
        content,
      })),
      { userId: 'dan', infer: false },
    );
    expect((await memory.search('music instruments', { userId: 'dan', limit: 2 })).results).toHaveLength(2);
    const all = (await memory.search('piano', { userId: 'dan' })).results;
    const cut = all[1]!.score;
    const above = (await memory.search('piano', { userId: 'dan', threshold: cut })).results;
    expect(above.length).toBeGreaterThanOrEqual(2);
    expect(above.every((r) => r.score >= cut)).toBe(true);
    expect((await memory.search('piano', { userId: 'dan', threshold: 1 })).results.length).toBeLessThan(all.length);
  });

  it('returns an empty list for a scope with no memories', async () => {
    const memory = await openTestMemory();
    expect((await memory.search('anything', { userId: 'nobody' })).results).toEqual([]);
  });
});

describe('getAll', () => {
  it('lists current memories newest first, with limit and offset', async () => {
    const memory = await openTestMemory();
    for (const content of ['one', 'two', 'three', 'four']) {
      await memory.add(`memory number ${content}`, { userId: 'erin', infer: false });
    }
    const all = (await memory.getAll({ userId: 'erin' })).results.map((r) => r.memory);
    expect(all).toEqual(['memory number four', 'memory number three', 'memory number two', 'memory number one']);
    const page = (await memory.getAll({ userId: 'erin', limit: 2, offset: 1 })).results.map((r) => r.memory);
    expect(page).toEqual(['memory number three', 'memory number two']);
  });
});

describe('messages: the log of what was said', () => {
  it('keeps every message of an add in its exact scope, repeats too, oldest first, paged backwards; forget erases them', async () => {
    const memory = await openTestMemory();
    const chat = { userId: 'fay', runId: 'chat-1' };
    await memory.add([{ role: 'user', content: 'ok' }, { role: 'assistant', content: 'Anything else?' }], { ...chat, infer: false });
    await memory.add([{ role: 'user', content: 'ok' }, { role: 'system', content: 'Be brief.' }], { ...chat, infer: false });
    await memory.add('Elsewhere.', { userId: 'fay', runId: 'chat-2', infer: false });
    await memory.add('Other user.', { userId: 'gus', runId: 'chat-1', infer: false });

    const { results } = await memory.messages(chat);
    expect(results.map((m) => [m.role, m.content])).toEqual([
      ['user', 'ok'],
      ['assistant', 'Anything else?'],
      ['user', 'ok'],
      ['system', 'Be brief.'],
    ]);
    expect(results[0]).toMatchObject({ id: expect.any(Number), createdAt: expect.any(String) });
    // Exactly this scope: the user's other conversations are not in it.
    expect((await memory.messages({ userId: 'fay' })).results).toEqual([]);
    const last = await memory.messages({ ...chat, limit: 2 });
    expect(last.results.map((m) => m.content)).toEqual(['ok', 'Be brief.']);
    const before = await memory.messages({ ...chat, limit: 2, before: last.results[0]!.id });
    expect(before.results.map((m) => m.content)).toEqual(['ok', 'Anything else?']);

    await expect(memory.messages({})).rejects.toMatchObject({ code: 'SCOPE_REQUIRED' });
    await memory.forget(chat);
    expect((await memory.messages(chat)).results).toEqual([]);
    expect((await memory.messages({ userId: 'fay', runId: 'chat-2' })).results).toHaveLength(1);
  });
});
