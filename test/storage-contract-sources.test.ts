import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Scope } from '../src/schema.js';
import type { NewMemory, Storage } from '../src/storage/storage.js';
import { textHash } from '../src/text-hash.js';
import { ENGINES } from './support/storage-engines.js';

/** The storage contract for a memory's source messages (sourceMessages), on every engine. */
const T = 1_767_225_600_000;
let counter = 0;
function memory(text: string, scope: Scope, source: Record<string, unknown> | null): NewMemory {
  counter += 1;
  const embedding = new Float32Array([1, 0, 0, 0]);
  return { id: `0190c000-0000-7000-8000-${String(counter).padStart(12, '0')}`, text, hash: textHash(text), kind: 'semantic', scope, metadata: {}, validFrom: T, source, embedding };
}

describe.each(ENGINES)('storage contract, source messages: $name', (engine) => {
  let storage: Storage;
  beforeEach(async () => {
    storage = (await engine.open()).storage;
    await storage.bindEmbeddingModel('contract-model', 4);
  });
  afterEach(async () => {
    await storage.close();
  });
  const write = <R>(work: Parameters<Storage['transaction']>[2] extends (tx: infer X) => Promise<unknown> ? (tx: X) => Promise<R> : never) => storage.transaction('write', 'testing', work);

  it('reads the messages a memory was stored from, in id order, only of its own exact scope', async () => {
    const alice = { userId: 'alice' };
    const [first, second] = await write((tx) =>
      tx.appendMessages(alice, [
        { role: 'user', name: 'Alice', content: 'first', createdAt: T },
        { role: 'assistant', name: null, content: 'second', createdAt: T + 1 },
      ], T),
    );
    const [bobs] = await write((tx) => tx.appendMessages({ userId: 'bob' }, [{ role: 'user', name: null, content: "bob's secret", createdAt: T }], T));
    const [aliceRun] = await write((tx) => tx.appendMessages({ userId: 'alice', runId: 'r' }, [{ role: 'user', name: null, content: 'in a run', createdAt: T }], T));
    const stored = memory('fact', alice, { messageIds: [second, first], jobId: 'j' });
    // A source naming other scopes' messages (a hand-edited or hostile import) names nothing.
    const planted = memory('planted', alice, { messageIds: [bobs, aliceRun] });
    const bare = memory('no source', alice, null);
    const odd = memory('odd source', alice, { messageIds: 'not a list' });
    for (const m of [stored, planted, bare, odd]) await write((tx) => tx.insertMemory(m, T, 'api'));
    const found = await storage.transaction('read', 'testing', (tx) => tx.sourceMessages([stored.id, planted.id, bare.id, odd.id, 'missing']));
    expect([...found.keys()]).toEqual([stored.id]);
    expect(found.get(stored.id)).toEqual([
      { id: first, role: 'user', name: 'Alice', content: 'first', createdAt: T },
      { id: second, role: 'assistant', name: null, content: 'second', createdAt: T + 1 },
    ]);
  });

  it('reads the version visible at `at`', async () => {
    const alice = { userId: 'alice' };
    const [one, two] = await write((tx) => tx.appendMessages(alice, [{ role: 'user', name: null, content: 'v1 said', createdAt: T }, { role: 'user', name: null, content: 'v2 said', createdAt: T }], T));
    const m = memory('v1', alice, { messageIds: [one] });
    await write((tx) => tx.insertMemory(m, T, 'api'));
    await write((tx) => tx.reviseMemory(m.id, { text: 'v2', hash: textHash('v2'), metadata: {}, validFrom: T + 10, source: { messageIds: [two] } }, T + 10, 'llm'));
    const read = (at?: number) => storage.transaction('read', 'testing', (tx) => tx.sourceMessages([m.id], at));
    expect((await read()).get(m.id)?.map((x) => x.content)).toEqual(['v2 said']);
    expect((await read(T + 5)).get(m.id)?.map((x) => x.content)).toEqual(['v1 said']);
  });
});
