import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Memory, type Job } from 'engram-memory';
import { call, connectInProcess, jsonOf, spawnMcpServer, textOf } from './support/mcp-client.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { closeAfterTest, openTestMemory, TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

/**
 * add_memories answers at once when it infers: a local LLM may take longer
 * than an MCP client waits for a tool (one gave up after 60 s). The text is
 * queued and a worker extracts it; without an LLM the tool still says so.
 */

const TINY_LLM = fileURLToPath(new URL('../models/test/llm.gguf', import.meta.url));
/** The job id of add_memories' answer when it queued (OpenMemory-style JSON: status, job_id, message); undefined otherwise. */
function queuedJob(result: Parameters<typeof textOf>[0]): string | undefined {
  try {
    const answer = jsonOf<{ status?: unknown; job_id?: unknown }>(result);
    return answer.status === 'queued' && typeof answer.job_id === 'string' ? answer.job_id : undefined;
  } catch {
    return undefined;
  }
}

/** A promise the test resolves when it wants: the LLM below waits on it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Reads the store as another process would, without working its queue. */
async function reader(db: string): Promise<Memory> {
  return closeAfterTest(await Memory.open({ path: db, embedder: { model: TEST_EMBEDDING_MODEL }, llm: null }));
}

async function jobStatus(memory: Memory, id: string): Promise<Job['status'] | undefined> {
  return (await memory.job(id))?.status;
}

describe('add_memories with the queue (in-process)', () => {
  it('answers with the job id while the LLM still works; the memory exists once the worker is done', async () => {
    const llm = gate();
    const scripted = new ScriptedLlm(async () => {
      await llm.opened;
      return ops({ event: 'ADD', text: 'Alice is vegetarian.', kind: 'semantic' });
    });
    const memory = await openTestMemory({ llm: scripted });
    const client = await connectInProcess(memory, { scope: { userId: 'alice' }, queueAdds: true });

    const added = await call(client, 'add_memories', { text: 'I stopped eating meat last year.' });
    expect(added.isError).toBeFalsy();
    const jobId = queuedJob(added);
    expect(jobId).toBeDefined();
    expect(jsonOf(added)).toMatchObject({ status: 'queued', job_id: jobId, message: expect.stringContaining('search_memory') });
    expect(added.structuredContent).toEqual({ jobId, status: 'queued' });
    expect(['queued', 'running']).toContain(await jobStatus(memory, jobId!));
    expect(jsonOf(await call(client, 'list_memories'))).toEqual([]);

    llm.open();
    await memory.flush({ timeoutMs: 10_000 });
    expect(await memory.job(jobId!)).toMatchObject({ status: 'done', userId: 'alice', results: [{ event: 'ADD', memory: 'Alice is vegetarian.' }] });
    expect(jsonOf(await call(client, 'list_memories'))).toMatchObject([{ memory: 'Alice is vegetarian.' }]);
  });

  it('stores as said at once with infer: false, and waits when the server says nobody works its queue (the no-LLM hint stays)', async () => {
    const memory = await openTestMemory({ llm: null });
    let worked = false;
    const client = await connectInProcess(memory, { scope: { userId: 'alice' }, queueAdds: () => worked });

    const asSaid = await call(client, 'add_memories', { text: 'I live in Lyon.', infer: false });
    expect(jsonOf(asSaid)).toMatchObject({ results: [{ event: 'ADD', memory: 'I live in Lyon.' }] });
    expect(asSaid.structuredContent).toMatchObject({ results: [{ event: 'ADD', memory: 'I live in Lyon.' }], droppedOperations: 0 });

    const refused = await call(client, 'add_memories', { text: 'I switched to green tea.' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^LLM_NOT_CONFIGURED: /);
    expect(textOf(refused)).toContain('`engram models pull`');
    expect((await memory.jobs()).counts.queued).toBe(0);

    // Asked at each call: once something works the queue (an `engram worker`), the same server queues.
    worked = true;
    const queued = await call(client, 'add_memories', { text: 'I switched to green tea.' });
    expect(queuedJob(queued)).toBeDefined();
    expect((await memory.jobs()).counts.queued).toBe(1);
  });

  it('declares both answers in its output schema', async () => {
    const client = await connectInProcess(await openTestMemory({ llm: null }), { scope: { userId: 'alice' } });
    const { tools } = await client.listTools();
    const add = tools.find((tool) => tool.name === 'add_memories');
    expect(Object.keys(add?.outputSchema?.properties ?? {}).sort()).toEqual(['droppedOperations', 'jobId', 'results', 'status']);
    expect(add?.outputSchema?.required ?? []).toEqual([]);
  });
});

describe('engram mcp with the queue (the real server process)', () => {
  it('with an LLM file, answers add_memories at once and its own worker extracts the text in the background', { timeout: 120_000 }, async () => {
    const db = tempDbPath();
    const { client, stderr } = await spawnMcpServer(['--db', db, '--embedding-model', TEST_EMBEDDING_MODEL, '--llm-model', TINY_LLM, '--llm-threads', '1', '--user', 'alice']);
    const added = await call(client, 'add_memories', { text: 'I am allergic to penicillin.' });
    const jobId = queuedJob(added);
    expect(jobId, textOf(added)).toBeDefined();

    const store = await reader(db);
    // The generated LLM's weights are random, but its answer always parses: the job ends done.
    await expect.poll(() => jobStatus(store, jobId!), { timeout: 100_000, interval: 200 }).toBe('done');
    expect(await store.job(jobId!)).toMatchObject({ userId: 'alice', attempts: 1 });
    expect(stderr()).toContain(`engram mcp: done ${jobId} user=alice: `);
  });

  it('with --no-worker and no LLM file, still queues (for `engram worker`): the add waits in the store', async () => {
    const db = tempDbPath();
    const args = ['--db', db, '--embedding-model', TEST_EMBEDDING_MODEL, '--llm-model', join(tempDir(), 'absent.gguf')];
    const { client } = await spawnMcpServer([...args, '--user', 'alice', '--no-worker']);
    const added = await call(client, 'add_memories', { text: 'I switched to green tea.' });
    expect(added.isError).toBeFalsy();
    const jobId = queuedJob(added);
    expect(jobId, textOf(added)).toBeDefined();
    expect(await (await reader(db)).job(jobId!)).toMatchObject({ status: 'queued', userId: 'alice', attempts: 0 });
    // (With its own worker and no LLM file, the add is refused with the fix instead: see mcp.test.ts.)
  });
});
