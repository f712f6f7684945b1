import { collect } from './support/collect.js';
import { describe, expect, it } from 'vitest';
import { LIMITS, Memory, type ExportRecord } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { ScriptedLlm } from './support/scripted-llm.js';
import { seededRandom, pick } from './support/seeded-random.js';
import { openTestMemory } from './support/test-memory.js';

const lines = async (records: AsyncIterable<ExportRecord>) => (await collect(records)).map((r) => JSON.stringify(r));
const withoutHeader = async (records: AsyncIterable<ExportRecord>) => (await collect(records)).filter((r) => r.type !== 'engram');
const open = async (llm: ScriptedLlm | null = null) =>
  openTestMemory({ embedder: new HashingEmbedder(16, 'roundtrip/a'), llm });

/** Exports `memory`, imports into a fresh store, and expects the same records back (then a second import adds nothing). */
async function expectRoundTrip(memory: Memory): Promise<void> {
  const exported = await lines(memory.export());
  const target = await open();
  await target.import(exported);
  expect(await withoutHeader(target.export())).toEqual(await withoutHeader(memory.export()));
  expect(await target.verify()).toEqual({ ok: true, problems: [] });
  const again = await target.import(exported);
  expect(again.memories.added + again.messages.added).toBe(0);
}

describe('every export imports', () => {
  it('limits a text by its length once normalized, as stored (16,000 × U+FB2C would be stored as 48,000 characters)', async () => {
    const memory = await open();
    const expands = '\uFB2C'.repeat(LIMITS.maxTextLength);
    expect('\uFB2C'.normalize('NFC')).toHaveLength(3);
    await expect(memory.add(expands, { userId: 'u', infer: false })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/once normalized/) });
    const fits = '\uFB2C'.repeat(Math.floor(LIMITS.maxTextLength / 3));
    const { results } = await memory.add(fits, { userId: 'u', infer: false });
    await expect(memory.update(results[0]!.id, `${fits}\uFB2C`)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expectRoundTrip(memory);
  });

  it('refuses dates outside the years 0000–9999 at the API, and keeps the extremes through a round trip', async () => {
    const memory = await open();
    const farFuture = new Date(8.64e15); // year 275760
    await expect(memory.add([{ role: 'user', content: 'x', createdAt: farFuture }], { userId: 'u', infer: false })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(memory.add([{ role: 'user', content: 'x', createdAt: '9999-12-31T23:00:00-05:00' }], { userId: 'u', infer: false })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(memory.add([{ role: 'user', content: 'x', createdAt: new Date(Date.UTC(-1, 0, 1)) }], { userId: 'u', infer: false })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(memory.search('x', { userId: 'u', asOf: farFuture })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await memory.add(
      [
        { role: 'user', content: 'the oldest note', createdAt: '0000-01-01T00:00:00Z' },
        { role: 'user', content: 'the newest note', createdAt: '9999-12-31T23:59:59.998Z' },
      ],
      { userId: 'u', infer: false },
    );
    await expectRoundTrip(memory);
  });

  // One case per summary: each opens two stores, which takes seconds on PGlite under a loaded machine.
  it.each([
    ['too long', 'x'.repeat(39_999)],
    ['with a NUL', 'run a\u0000b'],
    ['with half a surrogate pair', 'half a pair \uD83D here'],
  ])('stores a procedural summary only if it passes the checks of every inferred fact: %s', async (_name, bad) => {
    const run = [{ role: 'user' as const, content: 'Deploy the blog.' }];
    const memory = await open(new ScriptedLlm({ memory: bad }));
    const outcome = await memory.add(run, { agentId: 'deployer', kind: 'procedural' });
    expect(outcome).toEqual({ results: [], droppedOperations: 1 });
    expect((await memory.getAll({ agentId: 'deployer' })).results).toEqual([]);
    await expectRoundTrip(memory);
  });

  it("exports one scope: only its records, and they import as a whole export does (a person's own data)", async () => {
    const memory = await open();
    const [coffee] = (await memory.add('Alice drinks coffee black.', { userId: 'alice', infer: false })).results;
    await memory.update(coffee!.id, 'Alice drinks coffee with oat milk.');
    const [walk] = (await memory.add('Alice walks Rex at seven.', { userId: 'alice', agentId: 'companion', runId: 'r1', infer: false })).results;
    await memory.delete(walk!.id);
    await memory.add('Bob keeps his passport in the drawer.', { userId: 'bob', agentId: 'companion', infer: false });
    const alice = await withoutHeader(memory.export({ scope: { userId: 'alice' } }));
    expect(alice.map((r) => r.type).sort()).toEqual(['memory', 'memory', 'message', 'message']);
    expect(alice.every((r) => 'userId' in r && r.userId === 'alice')).toBe(true);
    const target = await open();
    await target.import(await lines(memory.export({ scope: { userId: 'alice' } })));
    expect(await withoutHeader(target.export())).toEqual(alice);
    expect(await target.verify()).toEqual({ ok: true, problems: [] });
    // An agent's scope crosses users, as getAll's does.
    const companion = await withoutHeader(memory.export({ scope: { agentId: 'companion' } }));
    expect(new Set(companion.map((r) => ('userId' in r ? r.userId : undefined)))).toEqual(new Set(['alice', 'bob']));
    await expect(collect(memory.export({ scope: { userId: '' } }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('keeps a message said twice in one add twice through a round trip', async () => {
    const memory = await open();
    await memory.add(
      [
        { role: 'user', content: 'ok', createdAt: '2026-01-01T10:00:00Z' },
        { role: 'assistant', content: 'Shall I book it?', createdAt: '2026-01-01T10:00:00Z' },
        { role: 'user', content: 'ok', createdAt: '2026-01-01T10:00:00Z' },
      ],
      { userId: 'u', infer: false },
    );
    const messages = async (records: AsyncIterable<ExportRecord>) => (await collect(records)).filter((r) => r.type === 'message').map((r) => (r as { content: string }).content);
    expect(await messages(memory.export())).toEqual(['ok', 'Shall I book it?', 'ok']);
    await expectRoundTrip(memory);
  });

  it('refuses, with the line number, records that verify() would reject', async () => {
    const memory = await open();
    const { results } = await memory.add('I live in Lisbon', { userId: 'u', infer: false });
    await memory.update(results[0]!.id, 'I live in Porto');
    await memory.update(results[0]!.id, 'I live in Faro');
    const exported = await lines(memory.export());
    const index = exported.findIndex((l) => l.includes('"type":"memory"'));
    type Version = { validFrom: string; validTo?: string };
    const variants: [string, (record: { versions: Version[]; history: { event: string }[] }) => void, RegExp][] = [
      ['overlapping versions', (r) => (r.versions[0]!.validTo = new Date(Date.parse(r.versions[1]!.validFrom) + 60_000).toISOString()), /overlaps the next one/],
      [
        'versions out of time order',
        (r) => {
          r.versions[1]!.validFrom = new Date(Date.parse(r.versions[0]!.validFrom) - 60_000).toISOString();
        },
        /in time order/,
      ],
      [
        'a closed last version without DELETE in its history',
        (r) => (r.versions[2]!.validTo = new Date(Date.parse(r.versions[2]!.validFrom) + 1).toISOString()),
        /needs its DELETE/,
      ],
    ];
    for (const [name, change, expected] of variants) {
      const record = JSON.parse(exported[index]!) as Parameters<typeof change>[0];
      change(record);
      const broken = [...exported];
      broken[index] = JSON.stringify(record);
      const target = await open();
      const error = await target.import(broken).catch((e: unknown) => e);
      expect(error, name).toMatchObject({ code: 'INVALID_INPUT' });
      expect((error as Error).message, name).toMatch(new RegExp(`line ${index + 1}: .*${expected.source}`));
      expect(await withoutHeader(target.export()), name).toEqual([]);
    }
  });

  it('round-trips a seeded mix of awkward texts, metadata, dates, updates and deletes', async () => {
    const random = seededRandom(2026);
    const texts = [
      'plain words',
      'émoji 🫀 and a heart',
      'e\u0301 combining accent',
      'Ａｌｌ ｗｉｄｅ',
      'tabs\tand\nnewlines  inside',
      '\uFB2C'.repeat(5_300),
      'x'.repeat(LIMITS.maxTextLength - 20),
      'trailing dots...',
      'שלום עולם',
      '"quotes" and \\ backslashes',
    ];
    const memory = await open();
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const roll = random();
      if (roll < 0.6 || ids.length === 0) {
        const createdAt = new Date(Date.UTC(1 + Math.floor(random() * 9998), 0, 1) + Math.floor(random() * 1e9)).toISOString();
        const { results } = await memory.add([{ role: pick(random, ['user', 'assistant'] as const), content: `${pick(random, texts)} ${i}`, createdAt }], {
          userId: pick(random, ['u1', 'u2']),
          ...(random() < 0.3 ? { agentId: 'bot' } : {}),
          metadata: { n: i, tag: pick(random, ['a', 'b']), nested: { list: [1, 'two', null, true] } },
          infer: false,
        });
        if (results[0]?.event === 'ADD') ids.push(results[0].id);
      } else if (roll < 0.85) {
        await memory.update(pick(random, ids), `${pick(random, texts)} revised ${i}`, { metadata: { revised: i } }).catch((error: unknown) => {
          if (!(error instanceof Error) || !/NOT_FOUND|already says/.test(`${(error as { code?: string }).code} ${error.message}`)) throw error;
        });
      } else {
        await memory.delete(pick(random, ids)).catch((error: unknown) => {
          if ((error as { code?: string }).code !== 'NOT_FOUND') throw error;
        });
      }
    }
    await expectRoundTrip(memory);
  });
});
