import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { runServeCommand } from '../src/cli/serve-command.js';
import { startServer } from '../src/server/start-server.js';
import { expectError, RestClient, startTestServer, type Reply } from './support/rest-server.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openTestMemory, TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

/**
 * The extraction queue over REST: `POST /memories` with Mem0's `async_mode`
 * answers 202 with the job's id before the LLM is done, and `/jobs` follows,
 * lists, retries and cancels queued adds.
 */

/** A promise the test resolves when it wants: the LLM below waits on it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const QUEUED = { status: 'PENDING', message: 'queued: the memories will be extracted in the background' };

/** Polls `GET /jobs/:id` until the job leaves queued and running. */
async function finished(api: RestClient, id: string): Promise<Reply> {
  let reply = await api.get(`/jobs/${id}`);
  for (let i = 0; i < 500 && ['queued', 'running'].includes(reply.body.status); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    reply = await api.get(`/jobs/${id}`);
  }
  return reply;
}

/** A memory whose queue nobody works (no LLM): what is queued stays queued, for tests of the queue's reads. */
async function idleQueue(): Promise<{ memory: Memory; api: RestClient }> {
  const { memory, api } = await startTestServer({ memory: { llm: null } });
  return { memory, api };
}

describe('POST /memories with async_mode', () => {
  it('answers 202 with the job id while the LLM still works; GET /jobs/:id follows the job to done with the add\'s results', async () => {
    const llm = gate();
    const scripted = new ScriptedLlm(async () => {
      await llm.opened;
      return ops({ event: 'ADD', text: 'Alice is vegetarian.', kind: 'semantic' });
    });
    const { api } = await startTestServer({ memory: { llm: scripted } });

    const reply = await api.post('/memories', { messages: [{ role: 'user', content: 'I stopped eating meat.' }], user_id: 'alice', async_mode: true });
    expect(reply.status).toBe(202);
    const id: string = reply.body.job_id;
    expect(reply.body).toEqual({ event_id: id, job_id: id, ...QUEUED });

    const pending = await api.get(`/jobs/${id}`);
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ id, kind: 'extract', user_id: 'alice', message_ids: [expect.any(Number)], created_at: expect.any(String) });
    expect(['queued', 'running']).toContain(pending.body.status);
    expect(pending.body.results).toBeUndefined();
    expect((await api.get('/memories?user_id=alice')).body.results).toEqual([]);

    llm.open();
    const done = await finished(api, id);
    expect(done.body).toMatchObject({
      id,
      status: 'done',
      attempts: 1,
      finished_at: expect.any(String),
      results: [{ id: expect.any(String), memory: 'Alice is vegetarian.', event: 'ADD' }],
      dropped_operations: 0,
    });
    expect(done.body.error).toBeUndefined();
    expect(Object.keys(done.body).filter((key) => /[A-Z]/.test(key))).toEqual([]);
    const stored = await api.get('/memories?user_id=alice');
    expect(stored.body.results.map((m: { id: string; memory: string }) => [m.id, m.memory])).toEqual([[done.body.results[0].id, 'Alice is vegetarian.']]);
  });

  it('waits and answers 200 with the results by default, with async_mode: false, and when infer is false', async () => {
    const scripted = new ScriptedLlm(ops({ event: 'ADD', text: 'Likes tea.', kind: 'semantic' }), ops({ event: 'ADD', text: 'Likes jazz.', kind: 'semantic' }));
    const { api } = await startTestServer({ memory: { llm: scripted } });
    const plain = await api.post('/memories', { messages: 'I like tea.', user_id: 'alice' });
    expect(plain).toMatchObject({ status: 200, body: { results: [{ memory: 'Likes tea.', event: 'ADD' }], dropped_operations: 0 } });
    const off = await api.post('/memories', { messages: 'I like jazz.', user_id: 'alice', async_mode: false });
    expect(off).toMatchObject({ status: 200, body: { results: [{ memory: 'Likes jazz.', event: 'ADD' }] } });
    // Nothing waits for the LLM without inference: the add is stored at once, as Mem0's server answers it.
    const asSaid = await api.post('/memories', { messages: 'I live in Lyon.', user_id: 'alice', infer: false, asyncMode: true });
    expect(asSaid).toMatchObject({ status: 200, body: { results: [{ memory: 'I live in Lyon.', event: 'ADD' }] } });
    expect(scripted.requests).toHaveLength(2);
    expectError(await api.post('/memories', { messages: 'x', user_id: 'alice', async_mode: 'yes' }), 400, 'INVALID_INPUT');
    expectError(await api.post('/memories', { messages: 'x', async_mode: true }), 400, 'SCOPE_REQUIRED');
  });

  it('waits instead when the server says nobody works its queue, and answers the LLM error', async () => {
    const memory = await openTestMemory({ llm: null });
    const running = await startServer(memory, { host: '127.0.0.1', port: 0, queueAdds: () => false });
    try {
      const api = new RestClient(running.url);
      expectError(await api.post('/memories', { messages: 'I like tea.', user_id: 'alice', async_mode: true }), 501, 'LLM_NOT_CONFIGURED');
      expect((await memory.jobs()).counts.queued).toBe(0);
    } finally {
      await running.close(0);
    }
  });
});

describe('engram serve and the queue', () => {
  /** `engram serve` on a fresh store with no LLM file, until the test ends; its URL. */
  async function serve(...flags: string[]): Promise<{ api: RestClient; stop: () => Promise<number> }> {
    const out: string[] = [];
    const controller = new AbortController();
    const args = ['--db', tempDbPath(), '--embedding-model', TEST_EMBEDDING_MODEL, '--llm-model', `${tempDir()}/none.gguf`, '--port', '0', ...flags];
    const exit = runServeCommand(args, { out: (line) => out.push(line), err: { write: () => true }, env: {}, signal: controller.signal });
    await expect.poll(() => out.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out[0] ?? '')?.[0] as string;
    return { api: new RestClient(url), stop: () => (controller.abort(), exit) };
  }

  it('queues async adds for `engram worker` with --no-worker; without an LLM file and its own worker it answers 503 instead of queueing forever', async () => {
    const alone = await serve();
    expectError(await alone.api.post('/memories', { messages: 'I like tea.', user_id: 'alice', async_mode: true }), 503, 'MODEL_NOT_FOUND');
    expect((await alone.api.get('/jobs')).body.counts.queued).toBe(0);
    expect(await alone.stop()).toBe(0);

    const front = await serve('--no-worker');
    const queued = await front.api.post('/memories', { messages: 'I like tea.', user_id: 'alice', async_mode: true });
    expect(queued.status).toBe(202);
    expect((await front.api.get(`/jobs/${queued.body.job_id}`)).body).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await front.stop()).toBe(0);
  });
});

describe('the /jobs routes', () => {
  it('GET /jobs/:id stays inside the scope given: another user\'s job is 404, as an unknown id', async () => {
    const { memory, api } = await idleQueue();
    const { jobId } = await memory.add('I am allergic to peanuts.', { userId: 'bob', agentId: 'doctor', wait: false });

    expect((await api.get(`/jobs/${jobId}`)).body).toMatchObject({ id: jobId, status: 'queued', user_id: 'bob', agent_id: 'doctor' });
    expect((await api.get(`/jobs/${jobId}?user_id=bob`)).status).toBe(200);
    expect((await api.get(`/jobs/${jobId}?userId=bob&agent_id=doctor`)).status).toBe(200);
    expectError(await api.get(`/jobs/${jobId}?user_id=alice`), 404, 'NOT_FOUND');
    expectError(await api.get(`/jobs/${jobId}?user_id=bob&agent_id=coach`), 404, 'NOT_FOUND');
    expectError(await api.get('/jobs/019ac0de-4a1b-7c3d-9e2f-0123456789ab'), 404, 'NOT_FOUND');
    expectError(await api.get(`/jobs/${jobId}?user=bob`), 400, 'INVALID_INPUT');
    expectError(await api.send('DELETE', `/jobs/${jobId}`), 405, 'METHOD_NOT_ALLOWED');
  });

  it('GET /jobs lists jobs newest first with the count per status, narrowed by scope, status, limit and offset', async () => {
    const { memory, api } = await idleQueue();
    const first = (await memory.add('one', { userId: 'alice', wait: false })).jobId;
    const second = (await memory.add('two', { userId: 'alice', wait: false })).jobId;
    const bobs = (await memory.add('three', { userId: 'bob', wait: false })).jobId;
    await memory.cancelJob(first);

    const all = await api.get('/jobs');
    expect(all.status).toBe(200);
    expect(all.body.results.map((j: { id: string }) => j.id)).toEqual([bobs, second, first]);
    expect(all.body.counts).toEqual({ queued: 2, running: 0, done: 0, failed: 0, cancelled: 1 });
    const alices = await api.get('/jobs?user_id=alice');
    expect(alices.body.results.map((j: { id: string }) => j.id)).toEqual([second, first]);
    expect(alices.body.counts).toMatchObject({ queued: 1, cancelled: 1 });
    expect((await api.get('/jobs?status=cancelled,failed')).body.results.map((j: { id: string }) => j.id)).toEqual([first]);
    expect((await api.get('/jobs?user_id=alice&status=queued')).body.results.map((j: { id: string }) => j.id)).toEqual([second]);
    expect((await api.get('/jobs?limit=1&offset=1')).body.results.map((j: { id: string }) => j.id)).toEqual([second]);
    expectError(await api.get('/jobs?status=pending'), 400, 'INVALID_INPUT');
    expectError(await api.get('/jobs?limit=many'), 400, 'INVALID_INPUT');
  });

  it('POST /jobs/:id/cancel and /retry change a job once, inside the scope given; retried, a failed job gets done', async () => {
    const scripted = new ScriptedLlm(new Error('the model crashed'), ops({ event: 'ADD', text: 'Likes tea.', kind: 'semantic' }));
    const { api } = await startTestServer({ memory: { llm: scripted, queue: { maxAttempts: 1, pollMs: 20 } } });

    const failed = await api.post('/memories', { messages: 'I like tea.', user_id: 'alice', async_mode: true });
    expect(failed.status).toBe(202);
    const id: string = failed.body.job_id;
    expect((await finished(api, id)).body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'LLM_FAILED', message: expect.stringContaining('the model crashed') } });
    expectError(await api.post(`/jobs/${id}/cancel`), 404, 'NOT_FOUND');
    expectError(await api.post(`/jobs/${id}/retry?user_id=bob`), 404, 'NOT_FOUND');

    const retried = await api.post(`/jobs/${id}/retry?user_id=alice`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id, status: 'queued', attempts: 0 });
    expect(retried.body.error).toBeUndefined();
    expect((await finished(api, id)).body).toMatchObject({ status: 'done', results: [{ memory: 'Likes tea.', event: 'ADD' }] });
    expectError(await api.post(`/jobs/${id}/retry`), 404, 'NOT_FOUND');

    const idle = await idleQueue();
    const { jobId } = await idle.memory.add('I like coffee.', { userId: 'alice', wait: false });
    expectError(await idle.api.post(`/jobs/${jobId}/cancel?user_id=bob`), 404, 'NOT_FOUND');
    const cancelled = await idle.api.post(`/jobs/${jobId}/cancel`);
    expect(cancelled.body).toMatchObject({ id: jobId, status: 'cancelled', finished_at: expect.any(String) });
    expect((await idle.api.get(`/jobs/${jobId}`)).body.status).toBe('cancelled');
    expectError(await idle.api.post(`/jobs/${jobId}/cancel`), 404, 'NOT_FOUND');
    expect((await idle.api.post(`/jobs/${jobId}/retry`)).body).toMatchObject({ status: 'queued' });
  });
});
