import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { openTestMemory } from './support/test-memory.js';

async function seed(memory: Memory) {
  const add = async (content: string, scope: { userId?: string; agentId?: string; runId?: string }) =>
    (await memory.add(content, { ...scope, infer: false })).results[0]!.id;
  return {
    alice: await add('Alice takes metformin twice a day.', { userId: 'alice' }),
    aliceCoach: await add('Alice runs five kilometres on Sundays.', { userId: 'alice', agentId: 'coach' }),
    aliceRun: await add('Alice asked about her metformin dose today.', { userId: 'alice', runId: 'r1' }),
    bob: await add('Bob takes metformin in the evening.', { userId: 'bob' }),
    bobCoach: await add('Bob runs five kilometres on Sundays.', { userId: 'bob', agentId: 'coach' }),
    coachOnly: await add('The coach prefers interval training plans.', { agentId: 'coach' }),
  };
}

describe('scopes', () => {
  it('search never returns another user’s memory, even when it matches best', async () => {
    const memory = await openTestMemory();
    const ids = await seed(memory);
    const { results } = await memory.search('Bob takes metformin in the evening', { userId: 'alice', limit: 50 });
    expect(results.map((r) => r.id).sort()).toEqual([ids.alice, ids.aliceCoach, ids.aliceRun].sort());
    expect(results.every((r) => r.userId === 'alice')).toBe(true);
  });

  it('a scope narrows by every field given', async () => {
    const memory = await openTestMemory();
    const ids = await seed(memory);
    const ids_ = async (scope: Parameters<Memory['getAll']>[0]) => (await memory.getAll(scope)).results.map((r) => r.id).sort();
    expect(await ids_({ userId: 'alice', agentId: 'coach' })).toEqual([ids.aliceCoach]);
    expect(await ids_({ agentId: 'coach' })).toEqual([ids.aliceCoach, ids.bobCoach, ids.coachOnly].sort());
    expect(await ids_({ runId: 'r1' })).toEqual([ids.aliceRun]);
    expect(await ids_({ userId: 'bob', runId: 'r1' })).toEqual([]);
    const coachSearch = await memory.search('running', { agentId: 'coach', userId: 'bob', limit: 50 });
    expect(coachSearch.results.map((r) => r.id)).toEqual([ids.bobCoach]);
  });

  it('deleteAll removes exactly its scope and nothing else', async () => {
    const memory = await openTestMemory();
    const ids = await seed(memory);
    expect(await memory.deleteAll({ userId: 'alice', agentId: 'coach' })).toEqual({ deleted: 1 });
    expect(await memory.get(ids.aliceCoach)).toBeNull();
    for (const id of [ids.alice, ids.aliceRun, ids.bob, ids.bobCoach, ids.coachOnly]) expect(await memory.get(id)).not.toBeNull();

    expect(await memory.deleteAll({ userId: 'alice' })).toEqual({ deleted: 2 });
    expect((await memory.getAll({ userId: 'alice' })).results).toEqual([]);
    expect((await memory.getAll({ userId: 'bob' })).results).toHaveLength(2);
    expect((await memory.getAll({ agentId: 'coach' })).results.map((r) => r.id).sort()).toEqual([ids.bobCoach, ids.coachOnly].sort());
    expect((await memory.history(ids.alice)).map((h) => h.event)).toEqual(['ADD', 'DELETE']);
  });

  it('metadata that names a user never widens or moves the scope', async () => {
    const memory = await openTestMemory();
    await memory.add('Private note of Bob', { userId: 'bob', infer: false, metadata: { userId: 'alice', user_id: 'alice' } });
    expect((await memory.getAll({ userId: 'alice' })).results).toEqual([]);
    expect((await memory.search('private note', { userId: 'alice', filters: { userId: 'alice' } })).results).toEqual([]);
    expect((await memory.getAll({ userId: 'bob', filters: { user_id: 'alice' } })).results).toHaveLength(1);
  });

  it('keeps one user’s results complete when other users have many similar memories', async () => {
    const memory = await openTestMemory();
    for (let user = 0; user < 20; user++) {
      await memory.add(
        Array.from({ length: 5 }, (_, i) => ({ role: 'user' as const, content: `I enjoy hiking in the mountains, trip ${i} of user ${user}` })),
        { userId: `user-${user}`, infer: false },
      );
    }
    await memory.add('I enjoy cooking Thai food.', { userId: 'quiet', infer: false });
    const { results } = await memory.search('I enjoy hiking in the mountains', { userId: 'quiet', limit: 5 });
    expect(results.map((r) => r.memory)).toEqual(['I enjoy cooking Thai food.']);
  });
});
