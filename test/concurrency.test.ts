import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { openSharedTestMemories, openTestMemory } from './support/test-memory.js';

describe('concurrent writes', () => {
  it('two concurrent adds of the same fact in one scope store it once', async () => {
    const memory = await openTestMemory();
    const [a, b] = await Promise.all([
      memory.add('My passport expires in March 2027.', { userId: 'alice', infer: false }),
      memory.add('My passport expires in March 2027.', { userId: 'alice', infer: false }),
    ]);
    expect([a.results[0]!.event, b.results[0]!.event].sort()).toEqual(['ADD', 'NONE']);
    expect(a.results[0]!.id).toBe(b.results[0]!.id);
    expect((await memory.getAll({ userId: 'alice' })).results).toHaveLength(1);
  });

  it('two Memory instances on one file see each other’s writes and never duplicate', async () => {
    const [first, second] = (await openSharedTestMemories(2)) as [Memory, Memory];
    const texts = Array.from({ length: 20 }, (_, i) => `Shared fact number ${i % 10}`);
    await Promise.all(texts.map((text, i) => (i % 2 ? first : second).add(text, { userId: 'u', infer: false })));
    expect((await first.getAll({ userId: 'u' })).results).toHaveLength(10);
    expect((await second.getAll({ userId: 'u' })).results).toHaveLength(10);
  });
});
