import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { EXPORT_FORMAT_VERSION, type ExportRecord, type Job, type LlmRequest, type Memory, type MemoryOptions } from 'engram-memory';
import { collect } from './support/collect.js';
import { EchoLlm } from './support/echo-llm.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openSharedTestMemories, openTestMemory } from './support/test-memory.js';

/**
 * The extraction queue on the test engine (this file runs on SQLite and on
 * PostgreSQL): queued adds, per-scope order, batching with provenance,
 * concurrency, retries and failures, cancel, forget, several workers.
 */

const alice = { userId: 'alice' };
const bob = { userId: 'bob' };
const fast = { retryDelayMs: 5, pollMs: 20 };

async function open(llm: MemoryOptions['llm'], queue: MemoryOptions['queue'] = {}): Promise<Memory> {
  return openTestMemory({ llm, queue: { ...fast, ...queue } });
}

async function exported(memory: Memory): Promise<ExportRecord[]> {
  return collect(memory.export());
}

describe('queued adds (wait: false)', () => {
  it('store the messages and a job at once, without the LLM; a worker applies the job and records what a waiting add returns', async () => {
    const llm = new EchoLlm();
    const memory = await open(llm, { worker: false });
    const queued = await memory.add('I play the violin.', { ...alice, wait: false });
    expect(queued).toEqual({ jobId: expect.any(String), status: 'queued' });
    expect(llm.requests).toHaveLength(0);

    const job = (await memory.job(queued.jobId)) as Job;
    expect(job).toMatchObject({ id: queued.jobId, status: 'queued', kind: 'extract', userId: 'alice', attempts: 0 });
    const messages = (await exported(memory)).filter((r) => r.type === 'message');
    expect(messages.map((m) => [m.id, m.content])).toEqual([[job.messageIds[0], 'I play the violin.']]);
    expect((await memory.getAll(alice)).results).toEqual([]);

    expect(await memory.flush({ timeoutMs: 10_000 })).toMatchObject({ queued: 0, running: 0, done: 1 });
    const done = (await memory.job(queued.jobId)) as Job;
    expect(done).toMatchObject({ status: 'done', attempts: 1, droppedOperations: 0, results: [{ event: 'ADD', memory: 'Said: I play the violin.' }] });
    expect(done.finishedAt).toEqual(expect.any(String));
    const [stored] = (await memory.getAll(alice)).results;
    expect(stored?.id).toBe(done.results?.[0]?.id);
    const record = (await exported(memory)).find((r) => r.type === 'memory');
    expect(record?.type === 'memory' && record.versions[0]?.source).toEqual({ messageIds: job.messageIds, jobId: queued.jobId });
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });

  it('are worked in the background by a Memory with an LLM, and onJob reports each finished job', async () => {
    const llm = new EchoLlm();
    const memory = await open(llm);
    const finished: Job[] = [];
    memory.onJob((job) => finished.push(job));
    const { jobId } = await memory.add('My sister lives in Lisbon.', { ...alice, wait: false });
    for (let i = 0; i < 1_000 && finished.length === 0; i++) await sleep(10);
    expect(finished).toMatchObject([{ id: jobId, status: 'done', results: [{ event: 'ADD', memory: 'Said: My sister lives in Lisbon.' }] }]);
  });

  it('of one scope run in order: each job sees what the job before it wrote', async () => {
    const seen: string[] = [];
    const llm = new ScriptedLlm(
      ...['Has a cat named Rosa', 'Has a cat named Uma', 'Has no cat any more'].map((fact, i) => (request: LlmRequest) => {
        const prompt = request.messages.at(-1)?.content ?? '';
        seen.push(prompt.split('EARLIER')[0] ?? '');
        if (i === 0) return ops({ event: 'ADD', text: fact, kind: 'semantic' });
        return ops({ event: 'UPDATE', id: '0', text: fact });
      }),
    );
    const memory = await open(llm, { worker: false, batchMessages: 1 });
    for (const text of ['I have a cat, Rosa.', 'Sorry, my cat is Uma.', 'Uma ran away, I have no cat now.']) await memory.add(text, { ...alice, wait: false });
    await memory.flush({ timeoutMs: 10_000 });
    expect(seen[0]).toContain('(none)');
    expect(seen[1]).toContain('0. Has a cat named Rosa');
    expect(seen[2]).toContain('0. Has a cat named Uma');
    const [item] = (await memory.getAll(alice)).results;
    expect(item?.memory).toBe('Has no cat any more');
    expect((await memory.history(item!.id)).map((h) => h.newMemory)).toEqual(['Has a cat named Rosa', 'Has a cat named Uma', 'Has no cat any more']);
  });

  it('of one scope waiting together are handled by one LLM call, each job with its own results and provenance', async () => {
    const llm = new EchoLlm();
    const memory = await open(llm, { worker: false });
    const texts = ['I play the violin every evening.', 'My sister lives in Lisbon.', 'I am allergic to penicillin.', 'I cycle to work on a red bicycle.', 'I grow tomatoes in my garden.'];
    const jobIds: string[] = [];
    for (const text of texts) jobIds.push((await memory.add(text, { ...alice, wait: false })).jobId);
    await memory.add('Not batched: another scope.', { ...bob, wait: false });
    await memory.flush({ timeoutMs: 10_000 });

    expect(llm.requests).toHaveLength(2);
    const batchPrompt = llm.requests[0]?.messages.at(-1)?.content ?? '';
    for (const text of texts) expect(batchPrompt).toContain(`user: ${text}`);
    expect(batchPrompt).not.toContain('another scope');
    const records = await exported(memory);
    for (const [i, text] of texts.entries()) {
      const job = (await memory.job(jobIds[i] as string)) as Job;
      expect(job.results).toEqual([{ id: expect.any(String), event: 'ADD', memory: `Said: ${text}` }]);
      const memoryRecord = records.find((r) => r.type === 'memory' && r.id === job.results?.[0]?.id);
      expect(memoryRecord?.type === 'memory' && memoryRecord.versions[0]?.source).toEqual({ messageIds: job.messageIds, jobId: job.id });
    }
  });

  it('are not batched with batchMessages: 1, and a batch never exceeds batchMessages', async () => {
    const single = new EchoLlm();
    const one = await open(single, { worker: false, batchMessages: 1 });
    for (let i = 0; i < 3; i++) await one.add(`I like color ${i}.`, { ...alice, wait: false });
    await one.flush({ timeoutMs: 10_000 });
    expect(single.requests).toHaveLength(3);

    const capped = new EchoLlm();
    const two = await open(capped, { worker: false, batchMessages: 2 });
    for (let i = 0; i < 5; i++) await two.add(`I like color ${i}.`, { ...alice, wait: false });
    await two.flush({ timeoutMs: 10_000 });
    const newLines = (r: LlmRequest) => ((r.messages.at(-1)?.content ?? '').split('NEW:\n')[1]?.match(/user: /gu) ?? []).length;
    expect(capped.requests.map(newLines)).toEqual([2, 2, 1]);
  });

  it('of different scopes run concurrently up to the configured concurrency, one scope at a time', async () => {
    for (const concurrency of [1, 2]) {
      const llm = new EchoLlm();
      const memory = await open(llm, { worker: false, concurrency, batchMessages: 1 });
      for (const scope of [alice, bob, alice, bob]) await memory.add('I like tea.', { ...scope, wait: false });
      await memory.flush({ timeoutMs: 10_000 });
      expect(llm.maxInFlight).toBe(concurrency);
      expect(llm.requests).toHaveLength(4);
    }
  });

  it('retry a failing LLM with backoff and succeed when it recovers', async () => {
    const llm = new ScriptedLlm(new Error('out of memory'), ops({ event: 'ADD', text: 'Likes tea', kind: 'semantic' }));
    const memory = await open(llm, { worker: false });
    const { jobId } = await memory.add('I like tea.', { ...alice, wait: false });
    await memory.flush({ timeoutMs: 10_000 });
    expect(await memory.job(jobId)).toMatchObject({ status: 'done', attempts: 2, results: [{ event: 'ADD', memory: 'Likes tea' }] });
    expect((await memory.job(jobId))?.error).toBeUndefined();
  });

  it('end failed after maxAttempts with their error and their messages kept; retryJob queues them again', async () => {
    const llm = new ScriptedLlm(new Error('boom 1'), 'not json', new Error('boom 3'));
    const memory = await open(llm, { worker: false, maxAttempts: 3 });
    const { jobId } = await memory.add('I like tea.', { ...alice, wait: false });
    expect(await memory.flush({ timeoutMs: 10_000 })).toMatchObject({ failed: 1, queued: 0 });
    const failed = (await memory.job(jobId)) as Job;
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'LLM_FAILED' } });
    expect(failed.error?.message).toContain('boom 3');
    expect(llm.requests).toHaveLength(3);
    expect((await exported(memory)).filter((r) => r.type === 'message').map((m) => m.type === 'message' && m.content)).toEqual(['I like tea.']);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });

    llm.plan(ops({ event: 'ADD', text: 'Likes tea', kind: 'semantic' }));
    expect(await memory.retryJob(jobId)).toMatchObject({ status: 'queued', attempts: 0 });
    await memory.flush({ timeoutMs: 10_000 });
    expect(await memory.job(jobId)).toMatchObject({ status: 'done', attempts: 1 });
    expect((await memory.getAll(alice)).results.map((m) => m.memory)).toEqual(['Likes tea']);
    await expect(memory.retryJob(jobId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a failed job does not hold its scope: the next job of the scope runs', async () => {
    const llm = new ScriptedLlm(new Error('boom'), ops({ event: 'ADD', text: 'Likes coffee', kind: 'semantic' }));
    const memory = await open(llm, { worker: false, maxAttempts: 1, batchMessages: 1 });
    const first = await memory.add('I like tea.', { ...alice, wait: false });
    const second = await memory.add('I like coffee.', { ...alice, wait: false });
    await memory.flush({ timeoutMs: 10_000 });
    expect((await memory.job(first.jobId))?.status).toBe('failed');
    expect((await memory.job(second.jobId))?.status).toBe('done');
  });

  it('cancelled before they run are never applied; a finished job cannot be cancelled', async () => {
    const llm = new EchoLlm();
    const memory = await open(llm, { worker: false });
    const { jobId } = await memory.add('I like tea.', { ...alice, wait: false });
    expect(await memory.cancelJob(jobId)).toMatchObject({ status: 'cancelled' });
    await memory.flush({ timeoutMs: 10_000 });
    expect(llm.requests).toHaveLength(0);
    expect((await memory.getAll(alice)).results).toEqual([]);
    await expect(memory.cancelJob(jobId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('cancelled while running: what the worker was about to write is thrown away', async () => {
    const llm = new EchoLlm();
    llm.hold();
    const memory = await open(llm, { worker: false });
    const { jobId } = await memory.add('I like tea.', { ...alice, wait: false });
    const flushing = memory.flush({ timeoutMs: 10_000 });
    while (llm.requests.length === 0) await sleep(5);
    expect((await memory.job(jobId))?.status).toBe('running');
    await memory.cancelJob(jobId);
    llm.release();
    await flushing;
    expect((await memory.job(jobId))?.status).toBe('cancelled');
    expect((await memory.getAll(alice)).results).toEqual([]);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });

  it('are dropped with their scope by forget, also while the LLM works on them; other scopes are untouched', async () => {
    const llm = new EchoLlm();
    llm.hold();
    const memory = await open(llm, { worker: false, concurrency: 2 });
    const gone = await memory.add('I like tea.', { ...alice, wait: false });
    const waiting = await memory.add('I like cake.', { userId: 'alice', agentId: 'bot', wait: false });
    const kept = await memory.add('I like coffee.', { ...bob, wait: false });
    const flushing = memory.flush({ timeoutMs: 10_000 });
    while (llm.requests.length < 2) await sleep(5);
    expect(await memory.forget(alice)).toMatchObject({ jobs: 2 });
    llm.release();
    await flushing;
    expect(await memory.job(gone.jobId)).toBeNull();
    expect(await memory.job(waiting.jobId)).toBeNull();
    expect((await memory.getAll(alice)).results).toEqual([]);
    expect((await memory.getAll({ userId: 'alice', agentId: 'bot' })).results).toEqual([]);
    expect(await memory.job(kept.jobId)).toMatchObject({ status: 'done' });
    expect((await memory.getAll(bob)).results).toHaveLength(1);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });

  it('are readable only within their scope, and listed newest first with counts', async () => {
    const memory = await open(null);
    const a = await memory.add('I like tea.', { ...alice, wait: false });
    const b = await memory.add('I like coffee.', { ...bob, wait: false });
    expect(await memory.job(a.jobId, bob)).toBeNull();
    expect(await memory.job(a.jobId, alice)).toMatchObject({ id: a.jobId });
    const all = await memory.jobs();
    expect(all.results.map((j) => j.id)).toEqual([b.jobId, a.jobId]);
    expect(all.counts).toEqual({ queued: 2, running: 0, done: 0, failed: 0, cancelled: 0 });
    expect((await memory.jobs(alice)).results.map((j) => j.id)).toEqual([a.jobId]);
    expect((await memory.jobs({ status: ['done'] })).results).toEqual([]);
    await expect(memory.cancelJob(a.jobId, bob)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('can be queued by a Memory without an LLM and worked by another on the same store', async () => {
    const llm = new EchoLlm();
    const [producer, worker] = await openSharedTestMemories(2, (i) => ({ llm: i === 0 ? null : llm, queue: fast }));
    const { jobId } = await producer!.add('I like tea.', { ...alice, wait: false });
    await expect(producer!.add('I like tea.', alice)).rejects.toMatchObject({ code: 'LLM_NOT_CONFIGURED' });
    await worker!.flush({ timeoutMs: 10_000 });
    expect(await producer!.job(jobId)).toMatchObject({ status: 'done', results: [{ event: 'ADD', memory: 'Said: I like tea.' }] });
  });

  it('flush fails with TIMEOUT when no worker works the queue, and cancels nothing', async () => {
    const memory = await open(null);
    const { jobId } = await memory.add('I like tea.', { ...alice, wait: false });
    await expect(memory.flush({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT', details: { queued: 1 } });
    expect((await memory.job(jobId))?.status).toBe('queued');
  });

  it('wait: false with infer: false is refused and stores nothing; reset removes every job', async () => {
    const memory = await open(null);
    await expect(memory.add('x', { ...alice, infer: false, wait: false })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await memory.jobs()).results).toEqual([]);
    await memory.add('I like tea.', { ...alice, wait: false });
    await memory.reset();
    expect((await memory.jobs()).counts.queued).toBe(0);
  });
});

describe('finished adds', () => {
  it('are removed by the background worker after keepFinishedMs; failed ones stay', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Likes tea', kind: 'semantic' }), new Error('boom'));
    const memory = await open(llm, { keepFinishedMs: 100, maxAttempts: 1, batchMessages: 1 });
    const finished: Job[] = [];
    memory.onJob((job) => finished.push(job));
    const done = await memory.add('I like tea.', { ...alice, wait: false });
    const failed = await memory.add('I like coffee.', { ...alice, wait: false });
    while (finished.length < 2) await sleep(10);
    expect((await memory.job(done.jobId))?.status).toBe('done');
    for (let i = 0; i < 500 && (await memory.job(done.jobId)) !== null; i++) await sleep(10);
    expect(await memory.job(done.jobId)).toBeNull();
    expect((await memory.job(failed.jobId))?.status).toBe('failed');
    expect((await memory.getAll(alice)).results.map((m) => m.memory)).toEqual(['Likes tea']);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });
});

describe('waiting adds', () => {
  it('that fail leave nothing behind: no job, no message', async () => {
    const memory = await open(new ScriptedLlm(new Error('context overflow')));
    await expect(memory.add('I like tea.', alice)).rejects.toMatchObject({ code: 'LLM_FAILED' });
    expect((await memory.jobs()).results).toEqual([]);
    expect((await exported(memory)).filter((r) => r.type !== 'engram')).toEqual([]);
  });

  it('run after the adds queued before them in their scope', async () => {
    const llm = new EchoLlm();
    const memory = await open(llm, { worker: false, batchMessages: 1 });
    await memory.add('I like tea.', { ...alice, wait: false });
    const { results } = await memory.add('I like coffee.', alice);
    expect(results.map((r) => r.memory)).toEqual(['Said: I like coffee.']);
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[1]?.messages.at(-1)?.content).toContain('Said: I like tea.');
  });
});

describe('a process that cannot work a scope', () => {
  it('fails a waiting add queued behind an add it cannot run with the worker’s error, leaving nothing of the waiting add', async () => {
    const { EngramError } = await import('engram-memory');
    const broken = { id: 'test/missing', complete: async () => Promise.reject(new EngramError('MODEL_NOT_FOUND', 'no LLM at models/llm.gguf')) };
    const memory = await open(broken, { worker: false });
    const queued = await memory.add('I like tea.', { ...alice, wait: false });
    await expect(memory.add('I like coffee.', alice)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    // The queued add is the worker's trouble, not its own: it waits, unharmed; the waiting one left nothing.
    expect((await memory.jobs()).results.map((j) => [j.id, j.status, j.attempts])).toEqual([[queued.jobId, 'queued', 0]]);
    expect((await exported(memory)).filter((r) => r.type === 'message').map((m) => m.type === 'message' && m.content)).toEqual(['I like tea.']);
  });
});

describe('flush of a scope', () => {
  it('works that scope’s adds (and those under it), not the others', async () => {
    const llm = new EchoLlm();
    const memory = await open(llm, { worker: false });
    const mine = await memory.add('I like tea.', { userId: 'alice', agentId: 'coach', wait: false });
    const theirs = await memory.add('I like coffee.', { ...bob, wait: false });
    expect(await memory.flush({ ...alice, timeoutMs: 10_000 })).toMatchObject({ queued: 0, done: 1 });
    expect((await memory.job(mine.jobId))?.status).toBe('done');
    expect((await memory.job(theirs.jobId))?.status).toBe('queued');
  });
});

describe('several workers on one store', () => {
  it('apply every job exactly once, in order per scope', async () => {
    const llms = [new EchoLlm(), new EchoLlm(), new EchoLlm()];
    const memories = await openSharedTestMemories(3, (i) => ({ llm: llms[i], queue: { ...fast, batchMessages: 1, concurrency: 2 } }));
    const scopes = [alice, bob, { userId: 'carol' }];
    const jobs: { id: string; text: string; scope: number }[] = [];
    for (let i = 0; i < 24; i++) {
      const scope = i % 3;
      const text = `Entry ${i} of scope ${scope}.`;
      jobs.push({ id: (await memories[i % 3]!.add(text, { ...scopes[scope], wait: false })).jobId, text, scope });
    }
    await Promise.all(memories.map((m) => m.flush({ timeoutMs: 20_000 })));
    expect(llms.reduce((n, llm) => n + llm.requests.length, 0)).toBe(24);
    expect(llms.filter((llm) => llm.requests.length > 0).length).toBeGreaterThan(1);
    for (const [s, scope] of scopes.entries()) {
      const items = (await memories[0]!.getAll({ ...scope, limit: 100 })).results;
      const expected = jobs.filter((j) => j.scope === s).map((j) => `Said: ${j.text}`);
      // Newest first: reversed, the scope's memories are in queue order.
      expect([...items].reverse().map((m) => m.memory)).toEqual(expected);
    }
    for (const job of jobs) expect((await memories[0]!.job(job.id))?.status).toBe('done');
    expect(await memories[0]!.verify()).toEqual({ ok: true, problems: [] });
  });
});

describe('an engine that runs a write again after a conflict (as PostgreSQL does)', () => {
  it('still records each job once, with its results once', async () => {
    const { SqliteStorage } = await import('../src/store/sqlite-storage.js');
    const { tempDbPath } = await import('./support/test-memory.js');
    const inner = await SqliteStorage.open({ path: tempDbPath(), busyTimeoutMs: 5_000 });
    let replays = 0;
    // Every write runs once and is rolled back (a simulated serialization failure), then runs for real.
    const storage = new Proxy(inner, {
      get(target, key, receiver) {
        if (key !== 'transaction') return Reflect.get(target, key, receiver) as unknown;
        return async (mode: 'read' | 'write', doing: string, work: (tx: unknown) => Promise<unknown>) => {
          if (mode === 'write') {
            const conflict = new Error('simulated conflict');
            await target.transaction(mode, doing, async (tx) => {
              await work(tx);
              throw conflict;
            }).catch((error: unknown) => {
              if (error !== conflict && (error as { cause?: unknown }).cause !== conflict) throw error;
            });
            replays += 1;
          }
          return target.transaction(mode, doing, work as never);
        };
      },
    });
    const llm = new EchoLlm();
    const memory = await openTestMemory({ storage, llm, queue: { ...fast, worker: false } });
    const jobs = [];
    for (const text of ['I play the violin.', 'My sister lives in Lisbon.']) jobs.push((await memory.add(text, { ...alice, wait: false })).jobId);
    await memory.flush({ timeoutMs: 10_000 });
    expect(replays).toBeGreaterThan(3);
    for (const id of jobs) expect((await memory.job(id))?.results).toHaveLength(1);
    expect((await memory.getAll(alice)).results).toHaveLength(2);
    await memory.close();
    await inner.close();
  });
});

describe('queued adds through export and import', () => {
  it('move with their messages, in order, keep a failed add failed, and are applied once by the importing store', async () => {
    const source = await open(new ScriptedLlm(new Error('boom')), { worker: false, maxAttempts: 1 });
    await source.add('Said before: I like jazz.', { ...alice, infer: false });
    const failed = await source.add('I like tea.', { ...alice, wait: false });
    await source.flush({ timeoutMs: 10_000 });
    const first = await source.add([{ role: 'user', content: 'I moved to Porto.', createdAt: '2024-05-01T10:00:00Z' }], { ...alice, wait: false, metadata: { via: 'chat' } });
    const second = await source.add('I play chess.', { ...bob, wait: false });
    const records = await exported(source);
    expect(records.filter((r) => r.type === 'job').map((r) => r.type === 'job' && [r.id, r.status])).toEqual([
      [failed.jobId, 'failed'],
      [first.jobId, 'queued'],
      [second.jobId, 'queued'],
    ]);

    const llm = new EchoLlm();
    const target = await open(llm, { worker: false });
    await target.add('Another message first, so ids differ.', { userId: 'zed', infer: false });
    const lines = records.map((r) => JSON.stringify(r));
    expect(await target.import(lines)).toMatchObject({ jobs: { added: 3, skipped: 0 }, messages: { added: 4 } });
    expect(await target.import(lines)).toMatchObject({ jobs: { added: 0, skipped: 3 }, messages: { added: 0 } });
    expect(await target.job(failed.jobId)).toMatchObject({ status: 'failed', error: { code: 'LLM_FAILED' }, attempts: 1 });
    await target.flush({ timeoutMs: 10_000 });
    expect(await target.job(first.jobId)).toMatchObject({ status: 'done', results: [{ event: 'ADD', memory: 'Said: I moved to Porto.' }] });
    const [porto] = (await target.getAll({ ...alice, filters: { via: 'chat' } })).results;
    expect(porto).toMatchObject({ memory: 'Said: I moved to Porto.', validFrom: '2024-05-01T10:00:00.000Z' });
    expect(llm.requests).toHaveLength(2);
    // The job points at its message as logged in the target.
    const moved = (await target.job(first.jobId)) as Job;
    const targetMessages = (await exported(target)).filter((r) => r.type === 'message');
    expect(targetMessages.find((m) => m.type === 'message' && m.id === moved.messageIds[0])).toMatchObject({ content: 'I moved to Porto.' });
    expect(await target.verify()).toEqual({ ok: true, problems: [] });
  });

  it('are refused, with nothing imported, when a queued add names a message the import does not hold', async () => {
    const source = await open(null);
    await source.add('I like tea.', { ...alice, wait: false });
    const lines = (await exported(source)).filter((r) => r.type !== 'message').map((r) => JSON.stringify(r));
    const target = await open(null);
    await expect(target.import(lines)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('does not hold') });
    expect((await target.jobs()).results).toEqual([]);
  });

  it('format 1 exports (before queued adds were exported) still import', async () => {
    const source = await open(null);
    await source.add('I like tea.', { ...alice, infer: false });
    const lines = (await exported(source)).map((r) => JSON.stringify(r.type === 'engram' ? { ...r, format: 1 } : r));
    const target = await open(null);
    expect(await target.import(lines)).toMatchObject({ memories: { added: 1 }, messages: { added: 1 } });
    // A format from a newer Engram is refused by its header.
    await expect(target.import([JSON.stringify({ type: 'engram', format: EXPORT_FORMAT_VERSION + 1, exportedAt: new Date().toISOString() })])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('a waiting add whose claim fails', () => {
  it('throws the store’s error and leaves nothing that could land later', async () => {
    const { SqliteStorage } = await import('../src/store/sqlite-storage.js');
    const { EngramError } = await import('engram-memory');
    const { tempDbPath } = await import('./support/test-memory.js');
    const inner = await SqliteStorage.open({ path: tempDbPath(), busyTimeoutMs: 5_000 });
    const storage = new Proxy(inner, {
      get(target, key, receiver) {
        if (key !== 'transaction') return Reflect.get(target, key, receiver) as unknown;
        return (mode: 'read' | 'write', doing: string, work: never) =>
          doing === 'claiming queued adds' ? Promise.reject(new EngramError('DB_LOCKED', 'locked by someone else')) : target.transaction(mode, doing, work);
      },
    });
    const memory = await openTestMemory({ storage, llm: new EchoLlm(), queue: { ...fast, worker: false } });
    await expect(memory.add('I like tea.', alice)).rejects.toMatchObject({ code: 'DB_LOCKED' });
    expect((await memory.jobs()).results).toEqual([]);
    expect((await exported(memory)).filter((r) => r.type === 'message')).toEqual([]);
    await memory.close();
    await inner.close();
  });
});
