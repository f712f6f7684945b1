import { describe, expect, it } from 'vitest';
import { openTestMemory } from './support/test-memory.js';

describe('contextFor', () => {
  it('formats the best memories, dated, best first, for a prompt', async () => {
    const memory = await openTestMemory();
    await memory.add(
      [
        { role: 'user', content: 'I am allergic to penicillin.', createdAt: '2024-03-01T10:00:00Z' },
        { role: 'user', content: 'My daughter Mia plays the violin.', createdAt: '2024-04-02T10:00:00Z' },
      ],
      { userId: 'alice', infer: false },
    );
    const { text, memories, tokens } = await memory.contextFor('Which antibiotics must the doctor avoid?', { userId: 'alice' });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Relevant memories about the user/);
    expect(lines[1]).toBe('- [2024-03-01] I am allergic to penicillin.');
    expect(memories[0]!.memory).toBe('I am allergic to penicillin.');
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThanOrEqual(512);
  });

  it('stays within the token budget, skipping what does not fit', async () => {
    const memory = await openTestMemory();
    await memory.add(
      [
        { role: 'user', content: `I keep a long diary about ${'gardening and tomatoes '.repeat(40)}` },
        { role: 'user', content: 'I grow tomatoes.' },
      ],
      { userId: 'u', infer: false },
    );
    const counted: string[] = [];
    const countTokens = (t: string) => (counted.push(t), t.split(/\s+/).filter(Boolean).length);
    const { text, memories, tokens } = await memory.contextFor('tomatoes', { userId: 'u', maxTokens: 30, header: 'Memories:', countTokens });
    expect(memories.map((m) => m.memory)).toEqual(['I grow tomatoes.']);
    expect(text).toMatch(/^Memories:\n- \[\d{4}-\d\d-\d\d\] I grow tomatoes\.$/);
    expect(tokens).toBeLessThanOrEqual(30);
    expect(counted.length).toBeGreaterThan(0); // the caller's tokenizer is used
  });

  it('gives no text when nothing matches, and honours filters and scope', async () => {
    const memory = await openTestMemory();
    await memory.add('Likes jazz', { userId: 'u', infer: false, metadata: { topic: 'music' } });
    expect(await memory.contextFor('jazz', { userId: 'someone-else' })).toEqual({ text: '', memories: [], tokens: 0 });
    expect((await memory.contextFor('jazz', { userId: 'u', filters: { topic: 'food' } })).text).toBe('');
    expect((await memory.contextFor('jazz', { userId: 'u', filters: { topic: 'music' } })).memories).toHaveLength(1);
    await expect(memory.contextFor('jazz', { userId: 'u', maxTokens: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
