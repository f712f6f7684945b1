import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Scope } from '../src/schema.js';
import type { NewMemory, Storage, StorageTransaction } from '../src/storage/storage.js';
import { textHash } from '../src/text-hash.js';
import { ENGINES } from './support/storage-engines.js';

/** The storage contract of a memory's last use (see the port's "Use"), on every engine. */
const DIMENSION = 4;
const HOUR = 3_600_000;
const ALICE = { userId: 'alice' };
const BOB = { userId: 'bob' };

let counter = 0;
function memory(text: string, scope: Scope): NewMemory {
  const id = `0190d000-0000-7000-8000-c${String((counter += 1)).padStart(11, '0')}`;
  return { id, text, hash: textHash(text), kind: 'semantic', scope, metadata: {}, validFrom: Date.now() - 10 * HOUR, source: null, embedding: new Float32Array([1, 0, 0, 0]) };
}

describe.each(ENGINES)('storage contract, use: $name', (engine) => {
  let storage: Storage;

  beforeEach(async () => {
    storage = (await engine.open()).storage;
    await storage.bindEmbeddingModel('contract-model', DIMENSION);
  });
  afterEach(async () => {
    await storage.close();
  });

  const write = <R>(work: (tx: StorageTransaction) => Promise<R>) => storage.transaction('write', 'testing', work);
  const read = <R>(work: (tx: StorageTransaction) => Promise<R>) => storage.transaction('read', 'testing', work);
  const insert = (m: NewMemory) => write((tx) => tx.insertMemory(m, Date.now() - 10 * HOUR, 'api'));

  it('keeps the latest use of current versions only; an earlier one never moves it back; unknown ids are skipped', async () => {
    const [tea, coffee, water] = [memory('likes tea', ALICE), memory('likes coffee', ALICE), memory('likes water', BOB)];
    for (const m of [tea, coffee, water]) await insert(m);
    const t = Date.now() - HOUR;
    await write((tx) => tx.recordAccess([tea.id, water.id, 'no-such-memory'], t));
    await write((tx) => tx.recordAccess([tea.id], t - 5_000));
    expect(await read((tx) => tx.lastAccess([tea.id, coffee.id, water.id, 'no-such-memory']))).toEqual(
      new Map([
        [tea.id, t],
        [water.id, t],
      ]),
    );
    await write((tx) => tx.recordAccess([tea.id, tea.id], t + 1_000));
    expect((await read((tx) => tx.lastAccess([tea.id]))).get(tea.id)).toBe(t + 1_000);
    expect(await read((tx) => tx.lastAccess([]))).toEqual(new Map());
  });

  it('is not a change: no new version, no history, the same item; a new version starts unused; a deleted memory is not marked', async () => {
    const tea = memory('likes tea', ALICE);
    await insert(tea);
    const before = await read(async (tx) => ({ item: await tx.memory(tea.id), history: await tx.history(tea.id) }));
    await write((tx) => tx.recordAccess([tea.id], Date.now()));
    expect(await read(async (tx) => ({ item: await tx.memory(tea.id), history: await tx.history(tea.id) }))).toEqual(before);

    await write((tx) => tx.reviseMemory(tea.id, { text: 'likes green tea', hash: textHash('likes green tea'), metadata: {}, validFrom: Date.now(), embedding: new Float32Array([0, 1, 0, 0]) }, Date.now(), 'api'));
    expect(await read((tx) => tx.lastAccess([tea.id]))).toEqual(new Map());
    await write((tx) => tx.closeMemory(tea.id, Date.now(), 'api'));
    await write((tx) => tx.recordAccess([tea.id], Date.now()));
    expect(await read((tx) => tx.lastAccess([tea.id]))).toEqual(new Map());
  });

  it('goes with the memory when its scope is forgotten or it is erased', async () => {
    const [tea, coffee] = [memory('likes tea', ALICE), memory('likes coffee', BOB)];
    for (const m of [tea, coffee]) await insert(m);
    await write((tx) => tx.recordAccess([tea.id, coffee.id], Date.now()));
    await write((tx) => tx.purge(ALICE));
    await write((tx) => tx.eraseMemories([coffee.id]));
    // The same ids stored again (an import of a backup) start unused.
    await insert({ ...tea });
    await insert({ ...coffee });
    expect(await read((tx) => tx.lastAccess([tea.id, coffee.id]))).toEqual(new Map());
  });
});
