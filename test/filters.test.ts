import { describe, expect, it } from 'vitest';
import type { Memory, Metadata, MetadataFilter } from 'engram-memory';
import { openTestMemory } from './support/test-memory.js';

const DOCS: { content: string; metadata: Metadata }[] = [
  { content: 'Blood pressure 120 over 80', metadata: { topic: 'health', priority: 3, tags: ['vitals', 'daily'], date: '2024-03-01', verified: true } },
  { content: 'Takes lisinopril 10 mg', metadata: { topic: 'health', priority: 5, tags: ['medication'], date: '2024-02-10', verified: false } },
  { content: 'Loves hiking trips', metadata: { topic: 'hobby', priority: 1, tags: ['outdoor'], date: '2023-11-20', note: 'weekend hiking club' } },
  { content: 'Works as a nurse', metadata: { topic: 'work', priority: 2, date: '2024-01-05', verified: null } },
  { content: 'Prefers quiet cafes', metadata: { priority: '4', tags: [4, 'cafe'] } },
];

async function seeded(): Promise<Memory> {
  const memory = await openTestMemory();
  for (const doc of DOCS) await memory.add(doc.content, { userId: 'u', infer: false, metadata: doc.metadata });
  return memory;
}

async function matching(memory: Memory, filters: MetadataFilter): Promise<string[]> {
  const listed = (await memory.getAll({ userId: 'u', filters })).results.map((r) => r.memory).sort();
  const searched = (await memory.search('health hiking work cafe', { userId: 'u', filters, limit: 50 })).results.map((r) => r.memory).sort();
  expect(searched).toEqual(listed); // filters mean the same in search and getAll
  return listed;
}

const BP = 'Blood pressure 120 over 80';
const MED = 'Takes lisinopril 10 mg';
const HIKE = 'Loves hiking trips';
const NURSE = 'Works as a nurse';
const CAFE = 'Prefers quiet cafes';

describe('metadata filters', () => {
  const cases: [string, MetadataFilter, string[]][] = [
    ['shorthand equality', { topic: 'health' }, [BP, MED]],
    ['eq', { topic: { eq: 'hobby' } }, [HIKE]],
    ['eq is typed: "4" is not 4', { priority: { eq: 4 } }, []],
    ['eq on a string number', { priority: '4' }, [CAFE]],
    ['eq true', { verified: true }, [BP]],
    ['eq false', { verified: false }, [MED]],
    ['eq null matches only an explicit null', { verified: null }, [NURSE]],
    ['ne includes rows without the key', { topic: { ne: 'health' } }, [CAFE, HIKE, NURSE]],
    ['in', { topic: { in: ['work', 'hobby'] } }, [HIKE, NURSE]],
    ['nin', { topic: { nin: ['work', 'hobby'] } }, [BP, CAFE, MED]],
    ['gt on numbers ignores strings', { priority: { gt: 2 } }, [BP, MED]],
    ['gte', { priority: { gte: 2 } }, [BP, MED, NURSE]],
    ['lt', { priority: { lt: 2 } }, [HIKE]],
    ['lte', { priority: { lte: 2 } }, [HIKE, NURSE]],
    ['range on ISO date strings', { date: { gte: '2024-01-01', lt: '2024-03-01' } }, [MED, NURSE]],
    ['contains an array element', { tags: { contains: 'medication' } }, [MED]],
    ['contains a typed array element', { tags: { contains: 4 } }, [CAFE]],
    ['contains a substring', { note: { contains: 'hiking' } }, [HIKE]],
    ['contains is case-sensitive', { note: { contains: 'Hiking' } }, []],
    ['icontains ignores the case of A–Z', { note: { icontains: 'HIKING Club' } }, [HIKE]],
    ['icontains matches array elements whole, ignoring case', { tags: { icontains: 'MEDICATION' } }, [MED]],
    ['icontains never matches a number', { priority: { icontains: '3' } }, []],
    ['several keys are ANDed', { topic: 'health', priority: { gt: 4 } }, [MED]],
    ['AND', { AND: [{ topic: 'health' }, { tags: { contains: 'daily' } }] }, [BP]],
    ['OR', { OR: [{ topic: 'work' }, { priority: { gte: 5 } }] }, [MED, NURSE]],
    ['NOT', { NOT: { topic: 'health' } }, [CAFE, HIKE, NURSE]],
    ['nested', { OR: [{ AND: [{ topic: 'health' }, { NOT: { verified: true } }] }, { topic: 'hobby' }] }, [HIKE, MED]],
    ['missing key matches nothing', { colour: 'red' }, []],
    ['an empty filter matches everything', {}, [BP, CAFE, HIKE, MED, NURSE]],
  ];

  // One seeded store for every case (they only read): a fresh store per case costs seconds on PostgreSQL (PGlite).
  it(`selects the same memories in getAll and search for each of ${cases.length} filters: ${cases.map(([name]) => name).join('; ')}`, { timeout: 120_000 }, async () => {
    const memory = await seeded();
    for (const [name, filters, expected] of cases) expect(await matching(memory, filters), name).toEqual([...expected].sort());
  });

  it('treats keys with dots, quotes and SQL as plain key names', async () => {
    const memory = await openTestMemory();
    await memory.add('odd keys', { userId: 'u', infer: false, metadata: { 'a.b': 1, 'say "hi"': 2, "x'); DROP TABLE memories; --": 3 } });
    expect((await memory.getAll({ userId: 'u', filters: { 'a.b': 1 } })).results).toHaveLength(1);
    expect((await memory.getAll({ userId: 'u', filters: { 'say "hi"': 2 } })).results).toHaveLength(1);
    expect((await memory.getAll({ userId: 'u', filters: { "x'); DROP TABLE memories; --": 3 } })).results).toHaveLength(1);
    expect((await memory.getAll({ userId: 'u', filters: { a: { eq: 1 } } })).results).toHaveLength(0);
  });

  it('finds a rare match in search even when many closer memories fail the filter', async () => {
    const memory = await openTestMemory();
    const many = Array.from({ length: 60 }, (_, i) => ({ role: 'user' as const, content: `I enjoy green tea, cup number ${i}` }));
    await memory.add(many, { userId: 'u', infer: false, metadata: { kind: 'common' } });
    await memory.add('Stock prices fell sharply on Monday', { userId: 'u', infer: false, metadata: { kind: 'rare' } });
    const { results } = await memory.search('I enjoy green tea', { userId: 'u', limit: 3, filters: { kind: 'rare' } });
    expect(results.map((r) => r.memory)).toEqual(['Stock prices fell sharply on Monday']);
  });

  const invalid: [string, unknown][] = [
    ['an unknown operator', { a: { like: 'x' } }],
    ['an empty OR', { OR: [] }],
    ['a non-array AND', { AND: { a: 1 } }],
    ['an object as a value to compare', { a: { eq: { b: 1 } } }],
    ['in without an array', { a: { in: 'x' } }],
    ['gt with a boolean', { a: { gt: true } }],
    ['icontains with a number', { a: { icontains: 3 } }],
    ['a prototype key', JSON.parse('{"__proto__": 1}')],
    ['too deep', JSON.parse('{"NOT":'.repeat(12) + '{"a":1}' + '}'.repeat(12))],
    ['a NaN', { a: Number.NaN }],
    ['an array', [{ a: 1 }]],
  ];

  it(`rejects with INVALID_INPUT: ${invalid.map(([name]) => name).join('; ')}`, async () => {
    const memory = await openTestMemory();
    for (const [name, filters] of invalid) {
      await expect(memory.getAll({ userId: 'u', filters: filters as MetadataFilter }), name).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(memory.search('x', { userId: 'u', filters: filters as MetadataFilter }), name).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
  });
});

describe('bounds on the memories’ own dates (createdAt, updatedAt) and ids', () => {
  it('getAll, count and search keep the memories stored, or last changed, within the bounds, or with the ids given, with a metadata filter too', async () => {
    const memory = await openTestMemory();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    const [early] = (await memory.add('Blood pressure 120 over 80', { userId: 'u', infer: false, metadata: { topic: 'health' } })).results;
    await tick();
    const middle = new Date().toISOString();
    await tick();
    await memory.add('Takes lisinopril 10 mg', { userId: 'u', infer: false, metadata: { topic: 'health' } });
    await memory.add('Loves hiking trips', { userId: 'u', infer: false, metadata: { topic: 'hobby' } });
    await tick();
    const beforeUpdate = new Date().toISOString();
    await tick();
    await memory.update(early!.id, 'Blood pressure 118 over 79');

    const read = async (options: { createdAt?: object; updatedAt?: object; filters?: MetadataFilter; ids?: string[] }) => {
      const listed = (await memory.getAll({ userId: 'u', ...options })).results.map((m) => m.memory).sort();
      const searched = (await memory.search('blood lisinopril hiking', { userId: 'u', limit: 50, ...options })).results.map((m) => m.memory).sort();
      expect(searched).toEqual(listed);
      expect(await memory.count({ userId: 'u', ...options })).toBe(listed.length);
      return listed;
    };
    expect(await read({ createdAt: { lt: middle } })).toEqual(['Blood pressure 118 over 79']);
    expect(await read({ createdAt: { gte: middle } })).toEqual(['Loves hiking trips', 'Takes lisinopril 10 mg']);
    expect(await read({ createdAt: { gte: middle }, filters: { topic: 'health' } })).toEqual(['Takes lisinopril 10 mg']);
    // The update wrote a new version: updatedAt finds it, createdAt still says when it was first stored.
    expect(await read({ updatedAt: { gt: beforeUpdate } })).toEqual(['Blood pressure 118 over 79']);
    expect(await read({ createdAt: { gt: '2999-01-01T00:00:00Z' } })).toEqual([]);
    await expect(memory.getAll({ userId: 'u', createdAt: {} })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // ids: only these memories, within the scope and the other bounds.
    expect(await read({ ids: [early!.id] })).toEqual(['Blood pressure 118 over 79']);
    expect(await read({ ids: [early!.id], createdAt: { gte: middle } })).toEqual([]);
    expect((await memory.getAll({ userId: 'someone-else', ids: [early!.id] })).results).toEqual([]);
    await expect(memory.search('x', { userId: 'u', createdAt: { gte: 'yesterday' } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
