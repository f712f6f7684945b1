import { describe, expect, it } from 'vitest';
import { EngramError, LIMITS, Memory } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { pick, seededRandom } from './support/seeded-random.js';
import { snapshotStore } from './support/store-snapshot.js';
import { collect } from './support/collect.js';
import { closeAfterTest, openTestMemory, tempDbPath, TEST_ENGINE } from './support/test-memory.js';

const SEED = Number(process.env.ENGRAM_FUZZ_SEED ?? 1337);
// PGlite is several times slower per call than SQLite, and a snapshot there is an export: fewer cases by default.
const CASES = Number(process.env.ENGRAM_FUZZ_CASES ?? (TEST_ENGINE === 'postgres' ? 600 : 3000));

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function circular(): Record<string, unknown> {
  const value: Record<string, unknown> = { a: 1 };
  value.self = value;
  return value;
}

/** Values chosen to break things: wrong types, huge and malformed strings, hostile objects. */
function hostileValues(): unknown[] {
  const throwing = new Proxy(
    {},
    {
      ownKeys: () => {
        throw new Error('proxy trap');
      },
      get: () => {
        throw new Error('proxy trap');
      },
    },
  );
  const getter = Object.defineProperty({}, 'userId', {
    enumerable: true,
    get: () => {
      throw new Error('getter trap');
    },
  });
  return [
    undefined, null, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2n ** 80n, true, Symbol('s'), () => 'fn', new Date(Number.NaN),
    '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff x', 'x'.repeat(LIMITS.maxTextLength + 1), 'é'.repeat(200_000),
    "'; DROP TABLE memories; --", '" OR 1=1 --', 'NEAR(a b) AND "x" OR y* ^z col:w', '🙂🙃 emoji', '%_\\', '$.a[0]', '../../etc/passwd',
    [], [1, 2], [[[]]], {}, { userId: 'u' }, { userId: '' }, { userId: 42 }, { user_id: 'u' }, { userId: 'u', limit: -1 },
    { userId: 'u', filters: { "'; DROP": 1 } }, { userId: 'u', filters: { a: { $regex: '.*' } } }, { userId: 'u', filters: nested(50) },
    { userId: 'u', metadata: nested(50) }, { userId: 'u', metadata: circular() }, { userId: 'u', metadata: JSON.parse('{"__proto__": {"x": 1}}') },
    { userId: 'u', metadata: { constructor: { prototype: 1 } } }, { userId: 'u', metadata: { big: 'y'.repeat(100_000) } },
    { userId: 'u', asOf: 'not a date' }, { userId: 'u', asOf: new Date(Number.NaN) }, { userId: 'u', infer: 'yes' }, { userId: 'u', kind: 'dream' },
    Object.create(null), throwing, getter, new Map([['userId', 'u']]), [{ role: 'user', content: 'x' }], [{ role: 'tool', content: 'x' }],
    [{ role: 'user', content: 'x'.repeat(LIMITS.maxTextLength + 1) }], Array.from({ length: LIMITS.maxMessagesPerAdd + 1 }, () => ({ role: 'user', content: 'm' })),
  ];
}

type Call = (memory: Memory, a: unknown, b: unknown, c: unknown) => Promise<unknown> | unknown;
const CALLS: [string, Call][] = [
  ['add', (m, a, b) => m.add(a as never, b as never)],
  ['search', (m, a, b) => m.search(a as never, b as never)],
  ['contextFor', (m, a, b) => m.contextFor(a as never, b as never)],
  ['get', (m, a) => m.get(a as never)],
  ['getAll', (m, a) => m.getAll(a as never)],
  ['update', (m, a, b, c) => m.update(a as never, b as never, c as never)],
  ['delete', (m, a) => m.delete(a as never)],
  ['deleteAll', (m, a) => m.deleteAll(a as never)],
  ['forget', (m, a) => m.forget(a as never)],
  ['history', (m, a) => m.history(a as never)],
  ['import', (m, a) => m.import(a as never)],
];

describe(`hostile input (seed ${SEED})`, () => {
  it(`${CASES} random hostile calls to every public method: only EngramErrors, no crash, and a refused call changes nothing`, { timeout: 240_000 }, async () => {
    const random = seededRandom(SEED);
    // SQLite: every row of the file, read by another connection. PostgreSQL: every exported record (all versions, history, messages).
    const path = tempDbPath();
    const memory =
      TEST_ENGINE === 'postgres'
        ? await openTestMemory({ embedder: new HashingEmbedder(16), llm: null })
        : closeAfterTest(await Memory.open({ path, embedder: new HashingEmbedder(16), llm: null }));
    const snapshot = async () => (TEST_ENGINE === 'postgres' ? JSON.stringify((await collect(memory.export())).slice(1)) : snapshotStore(path));
    const [kept] = (await memory.add('a memory that must survive', { userId: 'u', infer: false })).results;
    const values = [...hostileValues(), kept!.id, 'a valid query', { userId: 'u', infer: false }];
    const codes = new Map<string, number>();
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const [name, call] = pick(random, CALLS);
      const args: [unknown, unknown, unknown] = [pick(random, values), pick(random, values), pick(random, values)];
      const before = await snapshot();
      let outcome: unknown;
      try {
        await call(memory, ...args);
        accepted += 1;
        continue;
      } catch (error) {
        outcome = error;
      }
      const where = `seed ${SEED}, case ${i}: ${name}`;
      expect(outcome, `${where} threw ${String(outcome)}`).toBeInstanceOf(EngramError);
      const code = (outcome as EngramError).code;
      codes.set(code, (codes.get(code) ?? 0) + 1);
      expect(await snapshot(), `${where} changed the store while failing with ${code}`).toBe(before);
    }
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
    expect(({} as Record<string, unknown>).x).toBeUndefined(); // no prototype pollution
    expect([...codes.keys()].sort()).toEqual(expect.arrayContaining(['INVALID_INPUT', 'SCOPE_REQUIRED']));
    console.log(`hostile input, seed ${SEED}: ${CASES} cases, ${accepted} accepted, refusals ${JSON.stringify(Object.fromEntries(codes))}`);
  });
});
