import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFilter } from '../src/filter.js';
import type { Scope } from '../src/schema.js';
import type { NewMemory, Storage } from '../src/storage/storage.js';
import { textHash } from '../src/text-hash.js';
import { ENGINES, type OpenedEngine } from './support/storage-engines.js';

/**
 * The storage contract for neighbouring memories (adjacentMemories): the
 * memories stored around one in its exact scope and session, on every engine.
 */
const DIMENSION = 4;
const MINUTE = 60_000;
/** Past 2^31 ms, so a BIGINT that came back as a string would show. */
const T = 1_767_225_600_000;

let counter = 0;
/** A memory stored as said (its source names the message's role), or with `source`, e.g. an inferred fact's. */
function memory(text: string, scope: Scope, validFrom: number, metadata: Record<string, unknown> = {}, source: Record<string, unknown> | null = { messageIds: [], role: 'user' }): NewMemory {
  counter += 1;
  const embedding = new Float32Array(DIMENSION);
  embedding[counter % DIMENSION] = 1;
  return { id: `0190b000-0000-7000-8000-${String(counter).padStart(12, '0')}`, text, hash: textHash(text), kind: 'episodic', scope, metadata, validFrom, source, embedding };
}

describe.each(ENGINES)('storage contract, neighbouring memories: $name', (engine) => {
  let storage: Storage;
  let opened: OpenedEngine;
  let clock = T;

  beforeEach(async () => {
    opened = await engine.open();
    storage = opened.storage;
    await storage.bindEmbeddingModel('contract-model', DIMENSION);
  });
  afterEach(async () => {
    await storage.close();
  });

  /** Stores memories one after another (each a millisecond later), as turns arrive. */
  async function store(...memories: NewMemory[]): Promise<string[]> {
    const ids: string[] = [];
    for (const m of memories) {
      clock += 1;
      const at = clock;
      await storage.transaction('write', 'testing', (tx) => tx.insertMemory(m, at, 'api'));
      ids.push(m.id);
    }
    return ids;
  }
  const around = (ids: string[], options: { window: number; gapMs?: number; at?: number; filter?: ReturnType<typeof parseFilter> }) =>
    storage.transaction('read', 'testing', (tx) => tx.adjacentMemories(ids, { gapMs: 60 * MINUTE, ...options }));
  /** The texts around a memory in order, '•' standing for the memory itself. */
  const texts = (map: Map<string, { before: { memory: string }[]; after: { memory: string }[] }>, id: string) => {
    const found = map.get(id);
    return found ? [...found.before.map((m) => m.memory), '•', ...found.after.map((m) => m.memory)] : [];
  };

  it('gives at most `window` memories on each side, oldest first, itself left out, in the order they were stored', async () => {
    const alice = { userId: 'alice' };
    const ids = await store(...['t1', 't2', 't3', 't4', 't5', 't6'].map((t, i) => memory(t, alice, T + i * MINUTE)));
    const one = await around([ids[2] as string], { window: 1 });
    expect(texts(one, ids[2] as string)).toEqual(['t2', '•', 't4']);
    const two = await around([ids[2] as string, ids[0] as string, ids[5] as string], { window: 2 });
    expect(texts(two, ids[2] as string)).toEqual(['t1', 't2', '•', 't4', 't5']);
    expect(texts(two, ids[0] as string)).toEqual(['•', 't2', 't3']);
    expect(texts(two, ids[5] as string)).toEqual(['t4', 't5', '•']);
  });

  it('stays inside the exact scope: other users, other runs of the same user, and the user without a run are never neighbours', async () => {
    const run1 = { userId: 'alice', runId: 'r1' };
    const ids = await store(
      memory('r1 first', run1, T),
      memory('alice, no run', { userId: 'alice' }, T),
      memory('bob', { userId: 'bob' }, T),
      memory('r2', { userId: 'alice', runId: 'r2' }, T),
      memory('r1 second', run1, T),
      memory('agent alice', { userId: 'alice', agentId: 'a', runId: 'r1' }, T),
      memory('r1 third', run1, T),
    );
    const found = await around([ids[4] as string, ids[1] as string, ids[2] as string], { window: 3 });
    expect(texts(found, ids[4] as string)).toEqual(['r1 first', '•', 'r1 third']);
    expect(found.has(ids[1] as string)).toBe(false);
    expect(found.has(ids[2] as string)).toBe(false);
  });

  it('ends a side where world time jumps by more than gapMs: the next session', async () => {
    const alice = { userId: 'alice' };
    const ids = await store(
      memory('monday a', alice, T),
      memory('monday b', alice, T + 5 * MINUTE),
      memory('tuesday a', alice, T + 24 * 60 * MINUTE),
      memory('tuesday b', alice, T + 24 * 60 * MINUTE + 10 * MINUTE),
    );
    const found = await around([ids[1] as string, ids[2] as string], { window: 3, gapMs: 60 * MINUTE });
    expect(texts(found, ids[1] as string)).toEqual(['monday a', '•']);
    expect(texts(found, ids[2] as string)).toEqual(['•', 'tuesday b']);
  });

  it('reads current memories (a revised one keeps its place), or those valid at `at`; honours the filter; leaves out ids with none', async () => {
    const alice = { userId: 'alice' };
    const ids = await store(memory('a', alice, T, { keep: true }), memory('b', alice, T, { keep: false }), memory('c', alice, T, { keep: true }), memory('d', alice, T, { keep: true }));
    const [a, b, c, d] = ids as [string, string, string, string];
    clock += 1;
    const before = clock;
    clock += 1;
    const later = clock;
    await storage.transaction('write', 'testing', async (tx) => {
      await tx.closeMemory(b, later, 'user');
      await tx.reviseMemory(c, { text: 'c2', hash: textHash('c2'), metadata: { keep: true }, validFrom: later }, later, 'user');
    });
    expect(texts(await around([a], { window: 2 }), a)).toEqual(['•', 'c2', 'd']);
    expect(texts(await around([a], { window: 2, at: before }), a)).toEqual(['•', 'b', 'c']);
    expect(texts(await around([d], { window: 3, filter: parseFilter({ keep: true }) }), d)).toEqual(['a', 'c2', '•']);
    const none = await around([b, 'no-such-id'], { window: 2 });
    expect(none.size).toBe(0);
  });

  it('links memories stored as said only: an inferred fact has no neighbours and is nobody\'s', async () => {
    const alice = { userId: 'alice' };
    const ids = await store(
      memory('turn 1', alice, T),
      memory('fact from a job', alice, T, {}, { messageIds: [], jobId: 'j' }),
      memory('turn 2', alice, T),
      memory('imported without a source', alice, T, {}, null),
      memory('turn 3', alice, T),
    );
    const found = await around(ids, { window: 1 });
    expect(texts(found, ids[0] as string)).toEqual(['•', 'turn 2']);
    expect(texts(found, ids[2] as string)).toEqual(['turn 1', '•', 'turn 3']);
    expect(found.has(ids[1] as string)).toBe(false);
    expect(found.has(ids[3] as string)).toBe(false);
  });
});
