import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { queryTimeWindow, timeSignal } from '../src/pipeline/query-time.js';
import { openTestMemory } from './support/test-memory.js';

const day = (iso: string) => new Date(iso).getTime();
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const REFERENCE = day('2023-09-15T12:00:00');

describe('the time a query names', () => {
  it.each([
    ['Where did we go camping in August?', '2023-08-01', '2023-09-01'],
    ['What happened last month?', '2023-08-01', '2023-09-01'],
    ['How many times did she go to the beach in 2023?', '2023-01-01', '2024-01-01'],
    ['What did she show me on October 13, 2022?', '2022-10-13', '2022-10-14'],
    ['What did I do yesterday?', '2023-09-14', '2023-09-15'],
    ['What did Maria do the weekend before April 10, 2023?', '2023-04-10', '2023-04-11'],
  ])('%s → [%s, %s)', (query, start, end) => {
    const window = queryTimeWindow(query, REFERENCE);
    expect(window && [isoDay(window.start), isoDay(window.end)]).toEqual([start, end]);
  });

  it.each([['What is my favourite colour?'], ['What did I eat at 5pm?'], ['What did we do two weeks before the trip?'], ['']])('%s → no window', (query) => {
    expect(queryTimeWindow(query, REFERENCE)).toBeUndefined();
  });

  it('puts a memory in the window by when it was recorded (up to a week after) or by a date it names', () => {
    const august = queryTimeWindow('in August', REFERENCE)!;
    expect(timeSignal(august, day('2023-08-20'), 'We went to the lake.')).toBe(1);
    expect(timeSignal(august, day('2023-09-05'), 'We went to the lake last weekend.')).toBe(1); // a week after
    expect(timeSignal(august, day('2023-09-30'), 'On August 12 we went to the lake.')).toBe(1);
    expect(timeSignal(august, day('2023-09-30'), 'We went to the lake.')).toBe(0);
    expect(timeSignal(august, day('2023-07-10'), 'We go to the lake every summer.')).toBe(0);
  });
});

/** Two camping trips; the June one says the question's word twice. */
async function trips(memory: Memory): Promise<void> {
  const said = [
    ['2023-06-10T10:00:00Z', 'We went camping by the lake, so much camping.'],
    ['2023-08-05T10:00:00Z', 'We went camping up in the mountains.'],
    ['2023-09-01T10:00:00Z', 'My sister called about her new job.'],
  ] as const;
  for (const [createdAt, content] of said) await memory.add([{ role: 'user', content, createdAt }], { userId: 'u', infer: false });
}

describe('search with the time in the query', () => {
  it('lifts the memory from the month the question names above a closer match from another month', async () => {
    const memory = await openTestMemory();
    await trips(memory);
    const question = 'Where did we go camping in August?';
    const plain = await memory.search(question, { userId: 'u', time: false, neighbours: false });
    expect(plain.results[0]?.memory).toContain('by the lake');
    const timed = await memory.search(question, { userId: 'u', explain: true, neighbours: false, referenceDate: '2023-09-15T00:00:00Z' });
    expect(timed.results[0]?.memory).toBe('We went camping up in the mountains.');
    expect(timed.results[0]?.signals?.time).toBe(1);
    // Nothing is filtered out; the memories outside the window keep their order.
    expect(timed.results.map((r) => r.id).sort()).toEqual(plain.results.map((r) => r.id).sort());
    const outside = (results: { id: string; signals?: { time?: number } }[]) => results.filter((r) => !timed.results.find((t) => t.id === r.id)?.signals?.time).map((r) => r.id);
    expect(outside(timed.results)).toEqual(outside(plain.results));
  });

  it('reads relative times from the reference date, by default asOf, else now', async () => {
    const memory = await openTestMemory();
    await trips(memory);
    const lastMonth = (referenceDate?: string, asOf?: string) =>
      memory.search('Where did we go camping last month?', { userId: 'u', neighbours: false, ...(referenceDate ? { referenceDate } : {}), ...(asOf ? { asOf } : {}) });
    expect((await lastMonth('2023-09-20T00:00:00Z')).results[0]?.memory).toBe('We went camping up in the mountains.');
    expect((await lastMonth('2023-07-02T00:00:00Z')).results[0]?.memory).toContain('by the lake');
    expect((await lastMonth(undefined, '2023-09-20T00:00:00Z')).results[0]?.memory).toBe('We went camping up in the mountains.');
  });

  it('refuses a reference date that is not a date', async () => {
    const memory = await openTestMemory();
    await expect(memory.search('camping last month', { userId: 'u', referenceDate: 'someday' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
