import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngramError, LIMITS, Memory, TransformersEmbedder, type ErrorCode } from 'engram-memory';
import { snapshotStore } from './support/store-snapshot.js';
import { closeAfterTest, TEST_EMBEDDING_MODEL, tempDbPath } from './support/test-memory.js';

type Call = [name: string, call: (memory: Memory, id: string) => Promise<unknown>, code: ErrorCode];

const huge = 'x'.repeat(LIMITS.maxTextLength + 1);
const deep = JSON.parse('{"a":'.repeat(12) + '1' + '}'.repeat(12)) as Record<string, unknown>;
const anyValue = (value: unknown) => value as never;

const CALLS: Call[] = [
  // add
  ['add: messages of the wrong type', (m) => m.add(anyValue(42), { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: an empty string', (m) => m.add('   ', { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: an empty message list', (m) => m.add([], { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: a message with an unknown role', (m) => m.add([anyValue({ role: 'tool', content: 'x' })], { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: a message without content', (m) => m.add([anyValue({ role: 'user' })], { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: oversized text', (m) => m.add(huge, { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: too many messages', (m) => m.add(Array.from({ length: LIMITS.maxMessagesPerAdd + 1 }, (_, i) => ({ role: 'user' as const, content: `m${i}` })), { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: a NUL character', (m) => m.add('a\u0000b', { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: an unpaired surrogate', (m) => m.add('bad \ud800 text', { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: a bad createdAt', (m) => m.add([{ role: 'user', content: 'x', createdAt: 'yesterday' }], { userId: 'u', infer: false }), 'INVALID_INPUT'],
  ['add: no scope', (m) => m.add('hello', { infer: false }), 'SCOPE_REQUIRED'],
  ['add: no options at all', (m) => m.add('hello', anyValue(undefined)), 'INVALID_INPUT'],
  ['add: an empty userId', (m) => m.add('hello', { userId: '', infer: false }), 'INVALID_INPUT'],
  ['add: a numeric userId', (m) => m.add('hello', { userId: anyValue(7), infer: false }), 'INVALID_INPUT'],
  ['add: an unknown option', (m) => m.add('hello', anyValue({ userId: 'u', infer: false, user_id: 'v' })), 'INVALID_INPUT'],
  ['add: metadata that is not an object', (m) => m.add('hello', { userId: 'u', infer: false, metadata: anyValue(['a']) }), 'INVALID_INPUT'],
  ['add: metadata too deep', (m) => m.add('hello', { userId: 'u', infer: false, metadata: anyValue(deep) }), 'INVALID_INPUT'],
  ['add: metadata too large', (m) => m.add('hello', { userId: 'u', infer: false, metadata: { blob: 'y'.repeat(LIMITS.maxMetadataBytes) } }), 'INVALID_INPUT'],
  ['add: metadata with a Date', (m) => m.add('hello', { userId: 'u', infer: false, metadata: anyValue({ when: new Date() }) }), 'INVALID_INPUT'],
  ['add: metadata with a prototype key', (m) => m.add('hello', { userId: 'u', infer: false, metadata: anyValue(JSON.parse('{"__proto__": {"polluted": true}}')) }), 'INVALID_INPUT'],
  ['add: an unknown kind', (m) => m.add('hello', { userId: 'u', infer: false, kind: anyValue('dream') }), 'INVALID_INPUT'],
  // search
  ['search: an empty query', (m) => m.search('', { userId: 'u' }), 'INVALID_INPUT'],
  ['search: a query of the wrong type', (m) => m.search(anyValue({ q: 1 }), { userId: 'u' }), 'INVALID_INPUT'],
  ['search: an oversized query', (m) => m.search(huge, { userId: 'u' }), 'INVALID_INPUT'],
  ['search: no scope', (m) => m.search('hello', {}), 'SCOPE_REQUIRED'],
  ['search: limit 0', (m) => m.search('hello', { userId: 'u', limit: 0 }), 'INVALID_INPUT'],
  ['search: a fractional limit', (m) => m.search('hello', { userId: 'u', limit: 2.5 }), 'INVALID_INPUT'],
  ['search: a limit too large', (m) => m.search('hello', { userId: 'u', limit: LIMITS.maxSearchLimit + 1 }), 'INVALID_INPUT'],
  ['search: threshold above 1', (m) => m.search('hello', { userId: 'u', threshold: 1.5 }), 'INVALID_INPUT'],
  ['search: a bad filter', (m) => m.search('hello', { userId: 'u', filters: anyValue({ a: { regex: '.*' } }) }), 'INVALID_INPUT'],
  // get
  ['get: an empty id', (m) => m.get(''), 'INVALID_INPUT'],
  ['get: a numeric id', (m) => m.get(anyValue(12)), 'INVALID_INPUT'],
  // getAll
  ['getAll: no scope', (m) => m.getAll({}), 'SCOPE_REQUIRED'],
  ['getAll: a negative offset', (m) => m.getAll({ userId: 'u', offset: -1 }), 'INVALID_INPUT'],
  ['getAll: a limit too large', (m) => m.getAll({ userId: 'u', limit: LIMITS.maxPageSize + 1 }), 'INVALID_INPUT'],
  // update
  ['update: an unknown id', (m) => m.update('00000000-0000-7000-8000-000000000000', 'new text'), 'NOT_FOUND'],
  ['update: an empty text', (m, id) => m.update(id, ' '), 'INVALID_INPUT'],
  ['update: oversized text', (m, id) => m.update(id, huge), 'INVALID_INPUT'],
  ['update: text of the wrong type', (m, id) => m.update(id, anyValue(null)), 'INVALID_INPUT'],
  ['update: bad metadata', (m, id) => m.update(id, 'new text', { metadata: anyValue('x') }), 'INVALID_INPUT'],
  ['update: an unknown option', (m, id) => m.update(id, 'new text', anyValue({ user_id: 'other' })), 'INVALID_INPUT'],
  ['update: a memory outside the given scope', (m, id) => m.update(id, 'new text', { userId: 'other' }), 'NOT_FOUND'],
  // delete
  ['delete: an unknown id', (m) => m.delete('no-such-id'), 'NOT_FOUND'],
  ['delete: an empty id', (m) => m.delete(''), 'INVALID_INPUT'],
  // deleteAll
  ['deleteAll: an empty scope', (m) => m.deleteAll({}), 'SCOPE_REQUIRED'],
  ['deleteAll: no argument', (m) => m.deleteAll(anyValue(undefined)), 'INVALID_INPUT'],
  ['deleteAll: an unknown key (snake_case)', (m) => m.deleteAll(anyValue({ user_id: 'u' })), 'INVALID_INPUT'],
  ['deleteAll: an empty userId', (m) => m.deleteAll({ userId: '' }), 'INVALID_INPUT'],
  // history
  ['history: an unknown id', (m) => m.history('no-such-id'), 'NOT_FOUND'],
  ['history: an id of the wrong type', (m) => m.history(anyValue(undefined)), 'INVALID_INPUT'],
];

describe('bad input', () => {
  // One loaded model for every case: what is under test is the store and the validation, not the model's loading.
  let embedder: TransformersEmbedder;
  beforeAll(() => {
    embedder = new TransformersEmbedder({ model: TEST_EMBEDDING_MODEL });
  });
  afterAll(() => embedder.dispose());

  it.each(CALLS)('%s → %s, store unchanged', async (_name, call, code) => {
    const path = tempDbPath();
    const memory = closeAfterTest(await Memory.open({ path, embedder }));
    const [seed] = (await memory.add('A memory that must survive', { userId: 'u', infer: false, metadata: { keep: true } })).results;
    const before = snapshotStore(path);

    const error = await call(memory, seed!.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngramError);
    expect(error).toMatchObject({ code });
    expect((error as Error).message.length).toBeGreaterThan(10);
    expect(snapshotStore(path)).toBe(before);
    expect(await memory.get(seed!.id)).toMatchObject({ memory: 'A memory that must survive', metadata: { keep: true } });
  });

  it('names the offending field in the message', async () => {
    const memory = closeAfterTest(await Memory.open({ path: ':memory:', embedder: { model: TEST_EMBEDDING_MODEL } }));
    await expect(memory.search('hi', { userId: 'u', limit: -3 })).rejects.toThrow(/options\.limit/);
    await expect(memory.add([{ role: 'user', content: 'ok' }, anyValue({ role: 'tool', content: 'x' })], { userId: 'u', infer: false })).rejects.toThrow(
      /messages\.1\.role/,
    );
  });

  it('rejects bad open options', async () => {
    await expect(Memory.open(anyValue({}))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(Memory.open(anyValue({ path: 'x.db', embedder: { model: 3 } }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(Memory.open(anyValue({ path: 'x.db', embedder: { id: 'x', dimension: 0, embed: () => [] } }))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(Memory.open(anyValue({ path: ':memory:', busyTimeoutMs: -1 }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
