import { EXPORT_FORMAT_VERSION } from '../src/export-format.js';
import { collect } from './support/collect.js';
import { describe, expect, it } from 'vitest';
import { Memory, type ExportRecord } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { ScriptedLlm, ops } from './support/scripted-llm.js';
import { closeAfterTest, TEST_EMBEDDING_MODEL, tempDbPath } from './support/test-memory.js';

const lines = async (records: AsyncIterable<ExportRecord>) => (await collect(records)).map((r) => JSON.stringify(r));

async function populated(): Promise<{ memory: Memory; path: string; ids: string[] }> {
  const path = tempDbPath();
  const llm = new ScriptedLlm(ops({ event: 'UPDATE', id: '0', text: 'Lives in Berlin' }, { event: 'ADD', text: 'Works at a bakery', kind: 'semantic' }));
  const memory = closeAfterTest(await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL }, llm }));
  const { results } = await memory.add(
    [
      { role: 'user', content: 'Lives in Lisbon', createdAt: '2024-01-01T10:00:00Z' },
      { role: 'user', content: 'Has a cat named Miso', createdAt: '2024-01-01T10:01:00Z' },
    ],
    { userId: 'alice', infer: false, metadata: { source: 'chat' } },
  );
  await memory.add([{ role: 'user', content: 'I moved to Berlin and work at a bakery now.', createdAt: '2024-06-01T09:00:00Z' }], { userId: 'alice' });
  await memory.delete(results[1]!.id);
  await memory.add('Prefers trains', { userId: 'bob', agentId: 'travel', infer: false });
  return { memory, path, ids: results.map((r) => r.id) };
}

describe('export and import', () => {
  it('round-trips every memory with its versions, validity, metadata, history and provenance', async () => {
    const { memory } = await populated();
    const exported = (await lines(memory.export()));
    expect(JSON.parse(exported[0]!)).toMatchObject({ type: 'engram', format: EXPORT_FORMAT_VERSION, embeddingModel: 'engram/test-glove-sif-100d' });

    const target = closeAfterTest(await Memory.open({ path: tempDbPath(), embedder: { model: TEST_EMBEDDING_MODEL } }));
    const result = await target.import(exported);
    expect(result).toEqual({ policy: { added: 0, skipped: 0 }, memories: { added: 4, skipped: 0 }, messages: { added: 4, skipped: 0 }, jobs: { added: 0, skipped: 0 }, entities: { added: 0, skipped: 0 }, relations: { added: 0, skipped: 0 } });
    const strip = (records: ExportRecord[]) => records.filter((r) => r.type !== 'engram');
    expect(strip(await collect(target.export()))).toEqual(strip(await collect(memory.export())));
    expect(await target.verify()).toEqual({ ok: true, problems: [] });

    const berlin = (await target.search('which city', { userId: 'alice', limit: 1 })).results[0];
    expect(berlin).toMatchObject({ memory: 'Lives in Berlin', version: 2 });
    expect((await target.history(berlin!.id)).map((h) => [h.event, h.actor])).toEqual([
      ['ADD', 'api'],
      ['UPDATE', 'llm'],
    ]);
    expect((await target.getAll({ userId: 'alice', asOf: '2024-03-01T00:00:00Z' })).results.map((r) => r.memory).sort()).toEqual([
      'Has a cat named Miso',
      'Lives in Lisbon',
    ]);
  });

  it('is idempotent: importing twice adds nothing; into a file that already has the memories, nothing either', async () => {
    const { memory } = await populated();
    const exported = (await lines(memory.export()));
    const target = closeAfterTest(await Memory.open({ path: tempDbPath(), embedder: { model: TEST_EMBEDDING_MODEL } }));
    await target.import(exported);
    const before = (await lines(target.export())).slice(1);
    expect(await target.import(exported)).toEqual({ policy: { added: 0, skipped: 0 }, memories: { added: 0, skipped: 4 }, messages: { added: 0, skipped: 4 }, jobs: { added: 0, skipped: 0 }, entities: { added: 0, skipped: 0 }, relations: { added: 0, skipped: 0 } });
    expect((await lines(target.export())).slice(1)).toEqual(before);
    expect((await memory.import(exported)).memories).toEqual({ added: 0, skipped: 4 });
  });

  it('validates every line and reports line numbers, importing nothing when one is bad', async () => {
    const { memory } = await populated();
    const exported = (await lines(memory.export()));
    const target = closeAfterTest(await Memory.open({ path: tempDbPath(), embedder: { model: TEST_EMBEDDING_MODEL } }));
    const broken = [...exported];
    broken.splice(2, 0, '{not json');
    const memoryLine = broken.findIndex((l) => l.includes('"type":"memory"'));
    const record = JSON.parse(broken[memoryLine]!) as { versions: { memory: string }[] };
    record.versions[0]!.memory = '';
    broken[memoryLine] = JSON.stringify(record);
    const error = await target.import(broken).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    expect((error as Error).message).toContain('line 3: not JSON');
    expect((error as Error).message).toContain(`line ${memoryLine + 1}: versions.0.memory`);
    expect((await lines(target.export())).slice(1)).toEqual([]);
  });
});

describe('reindex', () => {
  it('re-embeds every version with another model, resumably, after which the file opens with it and searches work', async () => {
    const { memory, path } = await populated();
    const before = (await lines(memory.export())).slice(1);
    await memory.close();

    const other = new HashingEmbedder(48, 'test/hashing-48');
    await expect(Memory.open({ path, embedder: other })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    // An interrupted run: the embedder fails after the first batch.
    let calls = 0;
    const flaky = { id: other.id, dimension: other.dimension, embed: async (texts: string[]) => (++calls > 1 ? Promise.reject(new Error('killed')) : other.embed(texts)) };
    await expect(Memory.reindex({ path, embedder: flaky, batchSize: 2 })).rejects.toMatchObject({ code: 'EMBEDDING_FAILED' });
    const stillOld = closeAfterTest(await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } })); // the old model still works meanwhile
    expect((await stillOld.getAll({ userId: 'alice' })).results).toHaveLength(2);
    await stillOld.close();

    const progress: { done: number; total: number }[] = [];
    const { reembedded } = await Memory.reindex({ path, embedder: other, batchSize: 2, onProgress: (p) => progress.push(p) });
    expect(reembedded).toBe(3); // 5 versions, 2 done by the interrupted run
    expect(progress.at(-1)).toEqual({ done: 5, total: 5 });

    const reopened = closeAfterTest(await Memory.open({ path, embedder: other }));
    expect((await lines(reopened.export())).slice(1)).toEqual(before);
    expect((await reopened.search('bakery', { userId: 'alice', mode: 'vector', limit: 1 })).results[0]?.memory).toBe('Works at a bakery');
    expect(await reopened.verify()).toEqual({ ok: true, problems: [] });
    await expect(Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
  });

  it('keeps expiry through a reindex: an expired memory stays out of every search, one still to expire stays in', async () => {
    const path = tempDbPath();
    const memory = await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL }, llm: null });
    await memory.add('Staying at the bakery hotel this week', { userId: 'alice', infer: false, expiresAt: new Date(Date.now() + 300) });
    await memory.add('Works at a bakery', { userId: 'alice', infer: false, expiresAt: '2099-01-01' });
    await memory.close();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const other = new HashingEmbedder(48, 'test/hashing-48');
    await Memory.reindex({ path, embedder: other });
    const reopened = closeAfterTest(await Memory.open({ path, embedder: other, llm: null }));
    for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
      expect((await reopened.search('bakery hotel', { userId: 'alice', mode })).results.map((m) => m.memory), mode).toEqual(['Works at a bakery']);
      expect((await reopened.search('bakery hotel', { userId: 'alice', mode, exact: true })).results.map((m) => m.memory), mode).toEqual(['Works at a bakery']);
    }
    expect((await reopened.verify()).problems).toEqual([]);
  });
});
