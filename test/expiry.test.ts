import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { collect } from './support/collect.js';
import { EchoLlm } from './support/echo-llm.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openSharedTestMemories, openTestMemory, testEmbedder } from './support/test-memory.js';

// Expiry: a memory with expiresAt leaves every read of a later instant (searches, lists, get, counts), stays in
// history and asOf reads until purgeExpired erases it as forget would.

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const soon = (ms = 600) => new Date(Date.now() + ms).toISOString();

/** Adds `text` as said for ana, expiring in `ms`; its id. */
async function addExpiring(memory: Memory, text: string, ms: number, scope: { userId: string; runId?: string } = { userId: 'ana' }): Promise<string> {
  const [event] = (await memory.add(text, { ...scope, infer: false, expiresAt: soon(ms) })).results;
  expect(event?.event).toBe('ADD');
  return event!.id;
}

async function visibleTexts(memory: Memory, query: string, scope = { userId: 'ana' }) {
  const listed = (await memory.getAll(scope)).results.map((m) => m.memory).sort();
  const found = (await memory.search(query, { ...scope, limit: 20 })).results.map((m) => m.memory).sort();
  return { listed, found, count: await memory.count(scope) };
}

describe('expiry', () => {
  it('refuses an expiry that is not in the future, or not a date, and stores nothing', async () => {
    const memory = await openTestMemory({ llm: null });
    for (const expiresAt of [new Date(Date.now() - 1000), '2020-01-01', 'tomorrow', '2027-02-30']) {
      await expect(memory.add('Staying at Hotel Lux', { userId: 'ana', infer: false, expiresAt })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect(await memory.count({ userId: 'ana' })).toBe(0);
    expect((await memory.messages({ userId: 'ana' })).results).toEqual([]);
  });

  it('an expired memory leaves search, getAll, get, count and scopes, but stays in history and asOf reads', async () => {
    const memory = await openTestMemory({ llm: null });
    const lasting = (await memory.add('Ana is allergic to penicillin', { userId: 'ana', infer: false })).results[0]!.id;
    const hotel = await addExpiring(memory, 'Ana is staying at Hotel Lux in Porto', 700);
    const stored = await memory.get(hotel);
    expect(stored?.expiresAt).toBeDefined();
    const before = Date.now();
    // Warm the search index (SQLite keeps one per scope in memory): the expired memory must leave it too.
    expect((await visibleTexts(memory, 'hotel Porto')).found).toContain('Ana is staying at Hotel Lux in Porto');
    expect((await memory.scopes()).results).toMatchObject([{ id: 'ana', memories: 2 }]);
    await sleep(Date.parse(stored!.expiresAt!) - Date.now() + 50);

    expect(await visibleTexts(memory, 'hotel Porto')).toEqual({ listed: ['Ana is allergic to penicillin'], found: ['Ana is allergic to penicillin'], count: 1 });
    expect((await memory.search('hotel Lux Porto', { userId: 'ana', mode: 'keyword' })).results).toEqual([]);
    expect(await memory.get(hotel)).toBeNull();
    expect((await memory.scopes()).results).toMatchObject([{ id: 'ana', memories: 1 }]);
    // History and the past keep it.
    expect((await memory.history(hotel)).map((h) => h.event)).toEqual(['ADD']);
    const past = await memory.getAll({ userId: 'ana', asOf: new Date(before) });
    expect(past.results.map((m) => m.memory).sort()).toEqual(['Ana is allergic to penicillin', 'Ana is staying at Hotel Lux in Porto']);
    expect((await memory.search('hotel', { userId: 'ana', asOf: new Date(before) })).results.map((m) => m.memory)).toContain('Ana is staying at Hotel Lux in Porto');
    expect((await memory.getAll({ userId: 'ana', asOf: new Date() })).results.map((m) => m.id)).toEqual([lasting]);
    // An expired memory cannot change.
    await expect(memory.update(hotel, 'Ana is staying at Hotel Sol')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(memory.delete(hotel)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await memory.verify()).problems).toEqual([]);
  });

  it('an expiry that passes while the add or update is being written stores it, expired, without an error', async () => {
    // The embedder takes longer than the memory has to live: it expires between validation and the write.
    const inner = testEmbedder();
    const slow = { id: inner.id, dimension: inner.dimension, embed: async (texts: string[]) => (await sleep(80), inner.embed(texts)) };
    const memory = await openTestMemory({ llm: null, embedder: slow });
    const [added] = (await memory.add('Ana is at the station', { userId: 'ana', infer: false, expiresAt: soon(40) })).results;
    expect(added?.event).toBe('ADD');
    expect(await memory.get(added!.id)).toBeNull();
    const lasting = (await memory.add('Ana is at home', { userId: 'ana', infer: false })).results[0]!;
    const updated = await memory.update(lasting.id, 'Ana is at the market', { expiresAt: soon(40) });
    expect([updated.version, updated.memory]).toEqual([2, 'Ana is at the market']);
    expect(await memory.get(lasting.id)).toBeNull();
    expect((await memory.verify()).problems).toEqual([]);
  });

  it('the same text said again after it expired is a new memory; the expired one is closed at its expiry', async () => {
    const memory = await openTestMemory({ llm: null });
    const first = await addExpiring(memory, 'Ana is in Porto this week', 300);
    await sleep(400);
    const again = (await memory.add('Ana is in Porto this week', { userId: 'ana', infer: false })).results[0]!;
    expect(again.event).toBe('ADD');
    expect(again.id).not.toBe(first);
    const history = await memory.history(first);
    expect(history.map((h) => [h.event, h.actor, h.reason])).toEqual([
      ['ADD', 'api', undefined],
      ['DELETE', 'api', 'expired'],
    ]);
    expect((await memory.getAll({ userId: 'ana' })).results.map((m) => m.id)).toEqual([again.id]);
    expect((await memory.verify()).problems).toEqual([]);
    // Every export still imports.
    const target = await openTestMemory({ llm: null });
    const imported = await target.import((await collect(memory.export())).map((r) => JSON.stringify(r)));
    expect(imported.memories.added).toBe(2);
    expect((await target.verify()).problems).toEqual([]);
  });

  it('the policy gives default lifetimes per kind and for runs; the shortest wins; an add’s own expiresAt overrides them', async () => {
    const memory = await openTestMemory({ llm: null });
    await memory.setPolicy({ expireAfterDays: { episodic: 30, run: 7 } });
    const at = Date.now();
    const add = async (text: string, options: object) => (await memory.add(text, { userId: 'ana', infer: false, ...options })).results[0]!.id;
    const semantic = await add('Ana is vegetarian', {});
    const episodic = await add('Ana went hiking on Sunday', { kind: 'episodic' });
    const inRun = await add('Ana wants the window seat', { runId: 'trip' });
    const episodicInRun = await add('Ana missed the 9:10 train', { runId: 'trip', kind: 'episodic' });
    const own = await add('Ana parks on level 3', { runId: 'trip', expiresAt: '2099-01-01' });
    const expiry = async (id: string) => {
      const item = await memory.get(id);
      return item?.expiresAt === undefined ? undefined : Math.round((Date.parse(item.expiresAt) - at) / DAY);
    };
    expect(await expiry(semantic)).toBeUndefined();
    expect(await expiry(episodic)).toBe(30);
    expect(await expiry(inRun)).toBe(7);
    expect(await expiry(episodicInRun)).toBe(7);
    // A day is through that day (UTC): it expires at the next midnight.
    expect((await memory.get(own))?.expiresAt).toBe('2099-01-02T00:00:00.000Z');
    await expect(memory.setPolicy({ expireAfterDays: {} })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(memory.setPolicy({ expireAfterDays: { episodic: 0 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('an inferred add carries its expiresAt to what the model adds and updates, through the queue too', async () => {
    const llm = new ScriptedLlm(
      ops({ event: 'ADD', text: 'Ana is staying at Hotel Lux', kind: 'episodic' }),
      (request) => ops({ event: 'UPDATE', id: /(\d+)\. Ana is staying at Hotel Lux/.exec(request.messages.at(-1)?.content ?? '')?.[1] ?? '?', text: 'Ana is staying at Hotel Sol' }),
      ops({ event: 'ADD', text: 'Ana likes sea views', kind: 'semantic' }),
    );
    const memory = await openTestMemory({ llm });
    const until = '2099-03-01T12:00:00.000Z';
    const added = (await memory.add('I am staying at Hotel Lux.', { userId: 'ana', expiresAt: until })).results[0]!;
    expect((await memory.get(added.id))?.expiresAt).toBe(until);
    const later = '2099-04-01T12:00:00.000Z';
    const { jobId } = await memory.add('We moved to Hotel Sol.', { userId: 'ana', expiresAt: later, wait: false });
    await memory.flush({ userId: 'ana' });
    expect((await memory.job(jobId))?.results?.[0]?.event).toBe('UPDATE');
    const updated = await memory.get(added.id);
    expect([updated?.memory, updated?.version, updated?.expiresAt]).toEqual(['Ana is staying at Hotel Sol', 2, later]);
    // Without expiresAt (and no policy default) a new fact never expires.
    const lasting = (await memory.add('I love sea views.', { userId: 'ana' })).results[0]!;
    expect((await memory.get(lasting.id))?.expiresAt).toBeUndefined();
  });

  it('queued adds with different expiries are never batched into one call: each memory gets its own add’s expiry', async () => {
    const llm = new EchoLlm();
    const memory = await openTestMemory({ llm, queue: { worker: false } });
    const x = '2099-01-01T00:00:00.000Z';
    const y = '2099-02-01T00:00:00.000Z';
    await memory.add('I am in Porto.', { userId: 'ana', wait: false, expiresAt: x });
    await memory.add('I am at the Ribeira.', { userId: 'ana', wait: false, expiresAt: x });
    await memory.add('I am at the airport.', { userId: 'ana', wait: false, expiresAt: y });
    await memory.add('I like trains.', { userId: 'ana', wait: false });
    await memory.flush({ userId: 'ana' });
    expect(llm.requests).toHaveLength(3);
    const expiries = Object.fromEntries((await memory.getAll({ userId: 'ana' })).results.map((m) => [m.memory, m.expiresAt]));
    expect(expiries).toEqual({ 'Said: I am in Porto.': x, 'Said: I am at the Ribeira.': x, 'Said: I am at the airport.': y, 'Said: I like trains.': undefined });
  });

  it('a queued add keeps its expiresAt in an export, and the import queues it with it', async () => {
    const memory = await openTestMemory({ llm: null, queue: { worker: false } });
    const until = '2099-05-01T00:00:00.000Z';
    await memory.add('Staying at Hotel Lux', { userId: 'ana', wait: false, expiresAt: until });
    const records = await collect(memory.export());
    expect(records.find((r) => r.type === 'job')).toMatchObject({ expiresAt: until });
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Ana is staying at Hotel Lux', kind: 'episodic' }));
    const target = await openTestMemory({ llm });
    await target.import(records.map((r) => JSON.stringify(r)));
    await target.flush({ userId: 'ana' });
    expect((await target.getAll({ userId: 'ana' })).results.map((m) => [m.memory, m.expiresAt])).toEqual([['Ana is staying at Hotel Lux', until]]);
  });

  it('update sets, moves or clears the expiry as a new version; the text may stay', async () => {
    const memory = await openTestMemory({ llm: null });
    const id = (await memory.add('Ana is in Porto', { userId: 'ana', infer: false })).results[0]!.id;
    const set = await memory.update(id, 'Ana is in Porto', { expiresAt: '2099-01-31' });
    expect([set.version, set.expiresAt]).toEqual([2, '2099-02-01T00:00:00.000Z']);
    // The same expiry again changes nothing.
    expect((await memory.update(id, 'Ana is in Porto', { expiresAt: '2099-01-31' })).version).toBe(2);
    const kept = await memory.update(id, 'Ana is in Porto and Braga');
    expect([kept.version, kept.expiresAt]).toEqual([3, '2099-02-01T00:00:00.000Z']);
    const cleared = await memory.update(id, 'Ana is in Porto and Braga', { expiresAt: null });
    expect([cleared.version, cleared.expiresAt]).toEqual([4, undefined]);
    await expect(memory.update(id, 'Ana is in Porto and Braga', { expiresAt: new Date(Date.now() - 1) })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await memory.get(id))?.version).toBe(4);
    expect((await memory.history(id)).map((h) => h.event)).toEqual(['ADD', 'UPDATE', 'UPDATE', 'UPDATE']);
  });

  it('purgeExpired erases expired memories like forget — versions, history, messages only they came from — and nothing else', async () => {
    const memory = await openTestMemory({ llm: null });
    const [hotel, lasting] = (
      await memory.add(
        [
          { role: 'user', content: 'I am staying at Hotel Lux until Friday' },
          { role: 'user', content: 'I am allergic to penicillin' },
        ],
        { userId: 'ana', infer: false, expiresAt: soon(400) },
      )
    ).results.map((e) => e.id);
    // A lasting memory of the same scope, and another user's expired one.
    await memory.update(lasting!, 'I am allergic to penicillin', { expiresAt: null });
    const bobs = await addExpiring(memory, 'Bob is at the Lisbon conference', 400, { userId: 'bob' });
    await sleep(500);

    const dry = await memory.purgeExpired({ userId: 'ana', dryRun: true });
    expect(dry).toEqual({ memories: 1, messages: 1, entities: 0, relations: 0 });
    expect((await memory.history(hotel!)).length).toBe(1);

    expect(await memory.purgeExpired({ userId: 'ana' })).toEqual(dry);
    await expect(memory.history(hotel!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await memory.messages({ userId: 'ana' })).results.map((m) => m.content)).toEqual(['I am allergic to penicillin']);
    expect((await memory.history(bobs)).length).toBe(1);
    const exported = (await collect(memory.export())).map((r) => JSON.stringify(r)).join('\n');
    expect(exported).not.toContain('Hotel Lux');
    expect(exported).toContain('Lisbon');
    expect((await memory.getAll({ userId: 'ana' })).results.map((m) => m.memory)).toEqual(['I am allergic to penicillin']);
    // Everything else, then nothing.
    expect((await memory.purgeExpired()).memories).toBe(1);
    expect((await memory.purgeExpired()).memories).toBe(0);
    expect(exported).toBeTruthy();
    expect((await memory.verify()).problems).toEqual([]);
  });

  it('purge keeps a message a live memory or a waiting add still needs', async () => {
    const memory = await openTestMemory({ llm: null, queue: { worker: false } });
    await addExpiring(memory, 'Ana is in Porto', 300);
    const { jobId } = await memory.add('Ana is in Porto', { userId: 'ana', wait: false });
    await sleep(400);
    const erased = await memory.purgeExpired();
    expect(erased.memories).toBe(1);
    // The expired memory's message goes; the waiting add's own message stays, and verify (jobs' messages) is clean.
    expect((await memory.job(jobId))?.status).toBe('queued');
    expect((await memory.messages({ userId: 'ana' })).results.map((m) => m.content)).toEqual(['Ana is in Porto']);
    expect((await memory.verify()).problems).toEqual([]);
  });

  it('purge racing live writers in the same scope loses none of their memories', async () => {
    const [purger, writer] = await openSharedTestMemories(2, { llm: null });
    for (let i = 0; i < 10; i++) await addExpiring(purger!, `Ana expiring note ${i}`, 200);
    await sleep(300);
    const writes = Array.from({ length: 20 }, (_, i) => writer!.add(`Ana lasting note ${i}`, { userId: 'ana', infer: false }));
    const [erased] = await Promise.all([purger!.purgeExpired({ userId: 'ana' }), ...writes]);
    expect(erased.memories).toBe(10);
    expect(await writer!.count({ userId: 'ana' })).toBe(20);
    expect((await writer!.messages({ userId: 'ana' })).results.length).toBe(20);
    expect((await purger!.verify()).problems).toEqual([]);
  });

  it('export and import keep expiry: an expired memory stays expired, an expiring one keeps its time', async () => {
    const memory = await openTestMemory({ llm: null });
    const gone = await addExpiring(memory, 'Ana is at the airport', 300);
    await memory.add('Ana is in Porto', { userId: 'ana', infer: false, expiresAt: '2099-06-01T00:00:00Z' });
    await sleep(400);
    const target = await openTestMemory({ llm: null });
    // The target said the expired text again, live: the import must not bring back the expired one over it.
    await target.add('Ana is at the airport', { userId: 'ana', infer: false });
    const result = await target.import((await collect(memory.export())).map((r) => JSON.stringify(r)));
    expect(result.memories).toEqual({ added: 1, skipped: 1 });
    expect((await target.getAll({ userId: 'ana' })).results.map((m) => [m.memory, m.expiresAt]).sort()).toEqual([
      ['Ana is at the airport', undefined],
      ['Ana is in Porto', '2099-06-01T00:00:00.000Z'],
    ]);
    // Into an empty store the expired one lands, expired: history and asOf, not lists.
    const empty = await openTestMemory({ llm: null });
    expect((await empty.import((await collect(memory.export())).map((r) => JSON.stringify(r)))).memories.added).toBe(2);
    expect(await empty.get(gone)).toBeNull();
    expect((await empty.history(gone)).length).toBe(1);
    expect((await empty.purgeExpired()).memories).toBe(1);
    expect((await empty.verify()).problems).toEqual([]);
  });
});
