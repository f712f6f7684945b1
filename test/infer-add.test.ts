import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Memory, OPERATIONS_JSON_SCHEMA, TransformersEmbedder, type MemoryOptions } from 'engram-memory';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { snapshotStore } from './support/store-snapshot.js';
import { closeAfterTest, TEST_EMBEDDING_MODEL, tempDbPath } from './support/test-memory.js';

async function open(llm: ScriptedLlm, extra: Partial<MemoryOptions> = {}) {
  const path = tempDbPath();
  const memory = closeAfterTest(await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL }, llm, ...extra }));
  return { memory, path };
}

async function instant(): Promise<Date> {
  await sleep(5);
  const at = new Date();
  await sleep(5);
  return at;
}

const alice = { userId: 'alice' };

describe('add with inference (scripted LLM)', () => {
  it('ADD stores a new fact with the kind the model chose, in one LLM call', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Is vegetarian', kind: 'semantic' }));
    const { memory } = await open(llm);
    const { results, droppedOperations } = await memory.add('I went vegetarian this year.', alice);
    expect(results).toEqual([{ id: expect.any(String), memory: 'Is vegetarian', event: 'ADD' }]);
    expect(droppedOperations).toBe(0);
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]!.schema).toEqual(OPERATIONS_JSON_SCHEMA);
    expect(await memory.get(results[0]!.id)).toMatchObject({ memory: 'Is vegetarian', kind: 'semantic', userId: 'alice' });
    expect((await memory.history(results[0]!.id)).map((h) => [h.event, h.actor])).toEqual([['ADD', 'llm']]);
  });

  it('shows the model the scope’s nearest memories under small aliases, the date, and who said what', async () => {
    const llm = new ScriptedLlm(ops());
    const { memory } = await open(llm);
    await memory.add([{ role: 'user', content: 'I drink coffee every morning.' }], { ...alice, infer: false });
    await memory.add(
      [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'I switched to tea.', createdAt: '2023-05-08T10:00:00Z' },
        { role: 'assistant', content: 'Tea is great.', createdAt: '2023-05-08T10:00:05Z' },
      ],
      alice,
    );
    const prompt = llm.lastPrompt();
    expect(prompt).toContain('Date: 2023-05-08 (Monday)');
    expect(prompt).toContain('0. I drink coffee every morning.');
    expect(prompt).toMatch(/NEW:\nuser: I switched to tea\.\nassistant: Tea is great\./);
    expect(prompt).not.toContain('You are a helpful assistant.');
    expect(prompt).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/); // real ids never reach the model
    expect(llm.requests[0]!.messages[0]!.role).toBe('system');
  });

  it('UPDATE closes the old version: same id, new text, whole story in history, old text as of before', async () => {
    const llm = new ScriptedLlm(ops({ event: 'UPDATE', id: '0', text: 'Drinks green tea, no longer coffee' }));
    const { memory } = await open(llm);
    const [coffee] = (await memory.add('Drinks coffee every morning', { ...alice, infer: false })).results;
    const before = await instant();
    const { results } = await memory.add('I quit coffee, green tea only now.', alice);
    expect(results).toEqual([
      { id: coffee!.id, memory: 'Drinks green tea, no longer coffee', event: 'UPDATE', previousMemory: 'Drinks coffee every morning' },
    ]);
    expect(await memory.get(coffee!.id)).toMatchObject({ version: 2, memory: 'Drinks green tea, no longer coffee' });
    expect((await memory.history(coffee!.id)).map((h) => [h.event, h.oldMemory, h.newMemory, h.actor])).toEqual([
      ['ADD', undefined, 'Drinks coffee every morning', 'api'],
      ['UPDATE', 'Drinks coffee every morning', 'Drinks green tea, no longer coffee', 'llm'],
    ]);
    expect((await memory.search('coffee', { ...alice, asOf: before })).results.map((r) => r.memory)).toEqual(['Drinks coffee every morning']);
    expect((await memory.search('coffee', alice)).results.map((r) => r.memory)).toEqual(['Drinks green tea, no longer coffee']);
  });

  it('DELETE hides the memory from search, and keeps it in history and asOf', async () => {
    const llm = new ScriptedLlm(ops({ event: 'DELETE', id: '0' }));
    const { memory } = await open(llm);
    const [dog] = (await memory.add('Has a dog named Rex', { ...alice, infer: false })).results;
    const before = await instant();
    const { results } = await memory.add('Forget the dog thing, I never had a dog.', alice);
    expect(results).toEqual([{ id: dog!.id, memory: 'Has a dog named Rex', event: 'DELETE' }]);
    expect((await memory.search('dog', alice)).results).toEqual([]);
    expect(await memory.get(dog!.id)).toBeNull();
    expect((await memory.history(dog!.id)).map((h) => [h.event, h.actor])).toEqual([
      ['ADD', 'api'],
      ['DELETE', 'llm'],
    ]);
    expect((await memory.getAll({ ...alice, asOf: before })).results.map((r) => r.id)).toEqual([dog!.id]);
  });

  it('NONE changes nothing and reports the memory that already says it', async () => {
    const llm = new ScriptedLlm(ops({ event: 'NONE', id: '0' }), ops({ event: 'ADD', text: 'has a dog named rex.', kind: 'semantic' }));
    const { memory, path } = await open(llm);
    const [dog] = (await memory.add('Has a dog named Rex', { ...alice, infer: false })).results;
    const before = snapshotStore(path);
    expect((await memory.add('My dog is called Rex.', alice)).results).toEqual([{ id: dog!.id, memory: 'Has a dog named Rex', event: 'NONE' }]);
    // A model ADD that repeats a memory word for word is NONE too.
    expect((await memory.add('Rex is my dog.', alice)).results).toEqual([{ id: dog!.id, memory: 'Has a dog named Rex', event: 'NONE' }]);
    const after = JSON.parse(snapshotStore(path)) as { memories: unknown[]; history: unknown[] };
    const then = JSON.parse(before) as { memories: unknown[]; history: unknown[] };
    expect(after.memories).toEqual(then.memories);
    expect(after.history).toEqual(then.history);
  });

  it('a near match never swallows a contradiction: the model sees it as a candidate and decides', async () => {
    const embedder = new TransformersEmbedder({ model: TEST_EMBEDDING_MODEL });
    const pairs = [
      ['I like mango smoothies but avoid pho', 'I like pho but avoid mango smoothies'],
      ['Takes 5 mg of warfarin daily', 'Takes 10 mg of warfarin daily'],
      ['Is allergic to penicillin', 'Is not allergic to penicillin'],
    ] as const;
    for (const [stored, contradiction] of pairs) {
      const [a, b] = await embedder.embed([stored, contradiction]);
      const similarity = a!.reduce((sum, v, i) => sum + v * b![i]!, 0);
      expect(similarity, `${stored} / ${contradiction}`).toBeGreaterThan(0.95); // what the old rule discarded as already known
      const llm = new ScriptedLlm((request) => {
        expect(request.messages.at(-1)!.content).toContain(stored);
        return ops({ event: 'ADD', text: contradiction, kind: 'semantic' });
      });
      const { memory } = await open(llm);
      await memory.add(stored, { ...alice, infer: false });
      const { results } = await memory.add(contradiction, alice);
      expect(results).toEqual([{ id: expect.any(String), memory: contradiction, event: 'ADD' }]);
      expect((await memory.getAll(alice)).results.map((r) => r.memory).sort()).toEqual([contradiction, stored].sort());
    }
    // Only the exact text (as normalized for hashing) is known without asking twice.
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'has a tortoise named rosa.', kind: 'semantic' }));
    const { memory } = await open(llm);
    const [rosa] = (await memory.add('Has a tortoise named Rosa', { ...alice, infer: false })).results;
    expect((await memory.add('My tortoise is Rosa', alice)).results).toEqual([{ id: rosa!.id, memory: 'Has a tortoise named Rosa', event: 'NONE' }]);
  });

  it('shows the model only memories of exactly the add’s scope: a user-level add never sees nor deletes an agent’s memory of that user', async () => {
    const llm = new ScriptedLlm((request) => {
      expect(request.messages.at(-1)!.content).not.toContain('Takes metformin twice a day');
      return ops({ event: 'DELETE', id: '0' }, { event: 'UPDATE', id: '1', text: 'Stopped metformin' });
    });
    const { memory } = await open(llm);
    const [agentOwned] = (await memory.add('Takes metformin twice a day', { ...alice, agentId: 'nurse-bot', infer: false })).results;
    const [runOwned] = (await memory.add('Takes metformin twice a day', { ...alice, runId: 'visit-3', infer: false })).results;
    const { results, droppedOperations } = await memory.add('I stopped taking metformin twice a day', alice);
    expect(results).toEqual([]);
    expect(droppedOperations).toBe(2);
    expect(await memory.get(agentOwned!.id)).toMatchObject({ memory: 'Takes metformin twice a day', version: 1 });
    expect(await memory.get(runOwned!.id)).toMatchObject({ memory: 'Takes metformin twice a day', version: 1 });
  });

  it('ignores ids the model was not shown — a hallucinated alias, or a real id of another user’s memory — and counts them', async () => {
    const llm = new ScriptedLlm((request) => {
      expect(request.messages.at(-1)!.content).not.toContain('Bob takes insulin');
      return ops(
        { event: 'UPDATE', id: '7', text: 'Takes insulin daily' },
        { event: 'DELETE', id: bobMemoryId },
        { event: 'UPDATE', id: bobMemoryId, text: 'Alice hacked this' },
        { event: 'ADD', text: 'Checks blood sugar every morning', kind: 'semantic' },
      );
    });
    const { memory } = await open(llm);
    const [bob] = (await memory.add('Bob takes insulin', { userId: 'bob', infer: false })).results;
    const bobMemoryId = bob!.id;
    const { results, droppedOperations } = await memory.add('I check my blood sugar every morning.', alice);
    expect(droppedOperations).toBe(3);
    expect(results.map((r) => [r.event, r.memory])).toEqual([['ADD', 'Checks blood sugar every morning']]);
    expect(await memory.get(bobMemoryId)).toMatchObject({ memory: 'Bob takes insulin', version: 1 });
    expect((await memory.getAll({ userId: 'bob' })).results).toHaveLength(1);
    expect((await memory.getAll(alice)).results.map((r) => r.userId)).toEqual(['alice']);
  });

  it.each([
    ['not JSON', 'Sure! Here are the operations: ADD likes tea'],
    ['the wrong shape', { ops: [] }],
    ['an unknown event', ops({ event: 'MERGE', id: '0' })],
    ['a missing field', ops({ event: 'UPDATE', id: '0' })],
    ['a wrong type', ops({ event: 'ADD', text: 42, kind: 'semantic' })],
    ['null where a string is due', ops({ event: 'DELETE', id: null })],
  ])('malformed output (%s) → LLM_OUTPUT_INVALID and nothing written', async (_name, answer) => {
    const llm = new ScriptedLlm(answer);
    const { memory, path } = await open(llm);
    await memory.add('Existing fact', { ...alice, infer: false });
    const before = snapshotStore(path);
    const error = await memory.add('I like tea.', alice).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LLM_OUTPUT_INVALID' });
    expect((error as { details: { output: string } }).details.output).toBe(typeof answer === 'string' ? answer : JSON.stringify(answer));
    expect(snapshotStore(path)).toBe(before);
  });

  it('a failing model → LLM_FAILED and nothing written', async () => {
    const llm = new ScriptedLlm(new Error('context overflow'));
    const { memory, path } = await open(llm);
    const before = snapshotStore(path);
    await expect(memory.add('I like tea.', alice)).rejects.toMatchObject({ code: 'LLM_FAILED' });
    expect(snapshotStore(path)).toBe(before);
  });

  it('two concurrent adds of the same fact in one scope store it once; the second call sees the first’s memory', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Is allergic to peanuts', kind: 'semantic' }), (request) =>
      request.messages.at(-1)!.content.includes('0. Is allergic to peanuts')
        ? ops({ event: 'NONE', id: '0' })
        : ops({ event: 'ADD', text: 'Has a peanut allergy', kind: 'semantic' }),
    );
    const { memory } = await open(llm);
    const [first, second] = await Promise.all([memory.add('I am allergic to peanuts.', alice), memory.add('I am allergic to peanuts.', alice)]);
    expect(first.results.map((r) => r.event)).toEqual(['ADD']);
    expect(second.results).toEqual([{ id: first.results[0]!.id, memory: 'Is allergic to peanuts', event: 'NONE' }]);
    expect((await memory.getAll(alice)).results).toHaveLength(1);
  });

  it('a decision overtaken by another writer during the LLM call is dropped, not applied to the new state', async () => {
    let memoryRef: Memory | undefined;
    let targetId = '';
    const llm = new ScriptedLlm(async () => {
      await memoryRef!.update(targetId, 'Lives in Porto'); // someone edits it while the model thinks
      return ops({ event: 'UPDATE', id: '0', text: 'Lives in Berlin' });
    });
    const { memory } = await open(llm);
    memoryRef = memory;
    targetId = (await memory.add('Lives in Lisbon', { ...alice, infer: false })).results[0]!.id;
    const outcome = await memory.add('I moved to Berlin.', alice);
    expect(outcome).toEqual({ results: [], droppedOperations: 1 });
    expect(await memory.get(targetId)).toMatchObject({ memory: 'Lives in Porto', version: 2 });
  });

  it('dates new facts from the messages, and keeps them as provenance', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Adopted a cat named Miso on 2023-05-07', kind: 'episodic' }));
    const { memory } = await open(llm);
    const { results } = await memory.add([{ role: 'user', content: 'We adopted a cat yesterday, Miso!', createdAt: '2023-05-08T12:00:00Z' }], alice);
    const item = await memory.get(results[0]!.id);
    expect(item).toMatchObject({ kind: 'episodic', validFrom: '2023-05-08T12:00:00.000Z' });
  });

  it('multiple operations land together: ADD, UPDATE and DELETE in one call', async () => {
    const llm = new ScriptedLlm(
      ops(
        { event: 'UPDATE', id: '1', text: 'Works as a senior nurse' },
        { event: 'DELETE', id: '0' },
        { event: 'ADD', text: 'Started night shifts in January', kind: 'episodic' },
      ),
    );
    const { memory } = await open(llm);
    await memory.add(
      [
        { role: 'user', content: 'Works day shifts' },
        { role: 'user', content: 'Works as a nurse' },
      ],
      { ...alice, infer: false },
    );
    const aliases = llm;
    const { results } = await memory.add('I was promoted to senior nurse and moved to night shifts in January.', alice);
    const prompt = aliases.lastPrompt();
    const alias = (text: string) => /(\d+)\. (.*)/.exec(prompt.split('\n').find((l) => l.endsWith(text)) ?? '')?.[1];
    expect([alias('Works day shifts'), alias('Works as a nurse')].sort()).toEqual(['0', '1']);
    expect(results.map((r) => r.event)).toEqual(['UPDATE', 'DELETE', 'ADD']);
    expect((await memory.verify()).ok).toBe(true);
  });
});

describe('procedural memory', () => {
  it('summarizes an agent run into one procedural memory', async () => {
    const summary = 'To deploy the blog: run `npm run build`, then `rsync -av dist/ web:/srv/blog`; the first attempt failed without the trailing slash.';
    const llm = new ScriptedLlm({ memory: summary });
    const { memory } = await open(llm);
    const run = [
      { role: 'user' as const, content: 'Deploy the blog.' },
      { role: 'assistant' as const, content: 'Running npm run build… done. rsync -av dist web:/srv/blog failed; retrying with dist/ … done.' },
    ];
    const { results } = await memory.add(run, { agentId: 'deployer', kind: 'procedural' });
    expect(results).toEqual([{ id: expect.any(String), memory: summary, event: 'ADD' }]);
    expect(await memory.get(results[0]!.id)).toMatchObject({ kind: 'procedural', agentId: 'deployer' });
    expect(llm.lastPrompt()).toContain('assistant: Running npm run build');
    await expect(memory.add(run, { userId: 'alice', kind: 'procedural' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('without an LLM', () => {
  it('llm: null refuses infer with LLM_NOT_CONFIGURED; a missing GGUF fails at open with MODEL_NOT_FOUND', async () => {
    const memory = closeAfterTest(await Memory.open({ path: ':memory:', embedder: { model: TEST_EMBEDDING_MODEL }, llm: null }));
    await expect(memory.add('I like jazz', alice)).rejects.toMatchObject({ code: 'LLM_NOT_CONFIGURED' });
    const error = await Memory.open({ path: ':memory:', embedder: { model: TEST_EMBEDDING_MODEL }, llm: { model: '/nowhere/llm.gguf' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect((error as Error).message).toContain('engram models pull');
  });
});
