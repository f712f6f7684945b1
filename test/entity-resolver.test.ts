import { describe, expect, it } from 'vitest';
import { EntityResolver } from '../src/pipeline/graph/entity-resolver.js';
import type { EntityRecord } from '../src/storage/graph-records.js';
import type { StorageTransaction } from '../src/storage/storage.js';

/** The name rules of entity resolution, on an in-memory stand-in for the transaction (the store's part is the contract suite's). */

function resolverWith(vectors: Record<string, number[]>) {
  const stored: EntityRecord[] = [];
  const tx = {
    entities: async () => [...stored],
    insertEntity: async (e: EntityRecord) => void stored.push({ ...e }),
    updateEntity: async (id: string, change: Partial<EntityRecord>) => void Object.assign(stored.find((e) => e.id === id)!, change),
  } as unknown as StorageTransaction;
  const map = new Map(Object.entries(vectors).map(([k, v]) => [k, Float32Array.from(v)]));
  return { resolver: new EntityResolver(tx, { userId: 'alice' }, 1_000, map, 2), stored };
}

const same = [1, 0];

describe('entity resolution', () => {
  it('keeps one entity per normalized name, and maps "I", "me", "my" to the scope’s user', async () => {
    const { resolver, stored } = resolverWith({ Acme: same, 'ACME.': same, 'the Acme': same });
    const a = await resolver.resolve('Acme');
    expect(await resolver.resolve('ACME.')).toBe(a);
    expect(await resolver.resolve('the Acme')).toBe(a);
    const me = await resolver.resolve('I');
    expect(await resolver.resolve('me')).toBe(me);
    expect(await resolver.resolve('My')).toBe(me);
    expect(me).toMatchObject({ name: 'alice', type: 'user', key: '@user' });
    expect(stored).toHaveLength(2);
  });

  it('merges a described name into the named one, never two given names, never numbered names, even with equal vectors', async () => {
    const names = ['Dr. Smith', 'my cardiologist Smith', 'John Smith', 'Anna Smith', 'Person 1', 'Person 2', 'Person 10', 'Acme Corp', 'Acme Corporation'];
    const { resolver, stored } = resolverWith(Object.fromEntries(names.map((n) => [n, same])));
    for (const name of names) await resolver.resolve(name);
    expect(stored.map((e) => [e.name, e.aliases])).toEqual([
      ['Dr. Smith', ['my cardiologist Smith']],
      ['John Smith', []],
      ['Anna Smith', []],
      ['Person 1', []],
      ['Person 2', []],
      ['Person 10', []],
      ['Acme Corp', ['Acme Corporation']],
    ]);
  });

  it('merges by vector only when close enough: different spellings with far vectors stay apart', async () => {
    const { resolver, stored } = resolverWith({ 'Acme Corp': [1, 0], 'Acme Corporation': [0, 1] });
    await resolver.resolve('Acme Corp');
    await resolver.resolve('Acme Corporation');
    expect(stored).toHaveLength(2);
  });
});
