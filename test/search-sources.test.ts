import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collect } from './support/collect.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openTestMemory } from './support/test-memory.js';

/**
 * Fact keys: an inferred fact is what a search matches; the messages it was
 * stored from are what it can return (`withSources`), details included.
 */
const SAID = "We finally adopted a dog! A beagle puppy, we named him Biscuit.";

describe('search with the messages a memory was stored from', () => {
  it('returns an inferred fact with the message it came from, and the message of a memory stored as said', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Adopted a beagle puppy', kind: 'semantic' }));
    const memory = await openTestMemory({ llm });
    await memory.add([{ role: 'user', content: SAID, name: 'Ana', createdAt: '2024-03-02T10:00:00Z' }], { userId: 'u' });
    await memory.add('My sister lives in Porto.', { userId: 'u', infer: false });
    const { results } = await memory.search('What is the name of my dog?', { userId: 'u', withSources: true });
    const fact = results.find((r) => r.memory === 'Adopted a beagle puppy');
    expect(fact?.sources).toEqual([{ id: expect.any(Number), role: 'user', name: 'Ana', content: SAID, createdAt: '2024-03-02T10:00:00.000Z' }]);
    expect(results.find((r) => r.memory === 'My sister lives in Porto.')?.sources?.map((m) => m.content)).toEqual(['My sister lives in Porto.']);
    const plain = await memory.search('What is the name of my dog?', { userId: 'u' });
    expect(plain.results.every((r) => r.sources === undefined)).toBe(true);
  });

  it('gives each version its own source: an update points to the message that changed it, asOf to the one before', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Takes lisinopril for blood pressure', kind: 'semantic' }), ops({ event: 'UPDATE', id: '0', text: 'Takes amlodipine for blood pressure' }));
    const memory = await openTestMemory({ llm });
    await memory.add('Dr. Patel put me on lisinopril 10 mg.', { userId: 'u' });
    await sleep(5);
    const between = new Date();
    await sleep(5);
    await memory.add('The cough was bad, so Dr. Patel switched me to amlodipine 5 mg.', { userId: 'u' });
    const now = await memory.search('blood pressure medicine', { userId: 'u', withSources: true });
    expect(now.results[0]?.sources?.map((m) => m.content)).toEqual(['The cough was bad, so Dr. Patel switched me to amlodipine 5 mg.']);
    const then = await memory.search('blood pressure medicine', { userId: 'u', withSources: true, asOf: between });
    expect(then.results[0]?.sources?.map((m) => m.content)).toEqual(['Dr. Patel put me on lisinopril 10 mg.']);
  });

  it('Memory.sources gives one memory its messages, per version (asOf), inside the scope only', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Takes lisinopril for blood pressure', kind: 'semantic' }), ops({ event: 'UPDATE', id: '0', text: 'Takes amlodipine for blood pressure' }));
    const memory = await openTestMemory({ llm });
    await memory.add([{ role: 'user', content: 'Dr. Patel put me on lisinopril 10 mg.', name: 'Ana' }], { userId: 'u' });
    await sleep(5);
    const between = new Date();
    await sleep(5);
    await memory.add('The cough was bad, so Dr. Patel switched me to amlodipine 5 mg.', { userId: 'u' });
    const [fact] = (await memory.getAll({ userId: 'u' })).results;
    const id = fact!.id;
    expect((await memory.sources(id, { userId: 'u' })).map((m) => m.content)).toEqual(['The cough was bad, so Dr. Patel switched me to amlodipine 5 mg.']);
    expect(await memory.sources(id, { asOf: between })).toEqual([{ id: expect.any(Number), role: 'user', name: 'Ana', content: 'Dr. Patel put me on lisinopril 10 mg.', createdAt: expect.any(String) }]);
    expect(await memory.sources(id, { asOf: '2000-01-01T00:00:00Z' })).toEqual([]);
    await expect(memory.sources(id, { userId: 'someone-else' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(memory.sources('no-such-id')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps the sources through export and import into a store that already holds other messages', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Adopted a beagle puppy', kind: 'semantic' }));
    const source = await openTestMemory({ llm });
    await source.add('Before that, we visited three shelters.', { userId: 'u', infer: false });
    await source.add([{ role: 'user', content: SAID, createdAt: '2024-03-02T10:00:00Z' }], { userId: 'u' });
    const target = await openTestMemory();
    // The target's own messages take the ids the source's had: the import must remap, not reuse them.
    await target.add(['someone else said this', 'and this', 'and more'].map((content) => ({ role: 'user' as const, content })), { userId: 'other', infer: false });
    await target.import((await collect(source.export())).map((r) => JSON.stringify(r)));
    const { results } = await target.search('What is the name of my dog?', { userId: 'u', withSources: true });
    const fact = results.find((r) => r.memory === 'Adopted a beagle puppy');
    expect(fact?.sources?.map((m) => m.content)).toEqual([SAID]);
    for (const r of results) for (const m of r.sources ?? []) expect(m.content).not.toMatch(/someone else|and this|and more/);
  });
});
