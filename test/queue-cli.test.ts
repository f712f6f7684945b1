import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Job } from 'engram-memory';
import { checkQueue } from '../src/cli/doctor/queue-check.js';
import { EchoLlm } from './support/echo-llm.js';
import { engram } from './support/engram-cli.js';
import { ScriptedLlm } from './support/scripted-llm.js';
import { openTestMemory, TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

/**
 * The extraction queue from the command line: `add --no-wait`, `engram
 * worker`, `engram jobs`, the queue line of `engram doctor`, and one-shot
 * commands that never work anyone's queue.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const TINY_LLM = fileURLToPath(new URL('../models/test/llm.gguf', import.meta.url));

/** A temp database, the test embedder, and no LLM file: only an LLM a test passes can infer. */
function setup(): { db: string; env: Record<string, string>; store: string[] } {
  const db = tempDbPath();
  const env = { ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL, ENGRAM_LLM_MODEL: join(tempDir(), 'no-llm.gguf') };
  return { db, env, store: ['--db', db] };
}

/** Queues an add from the command line and returns its job id. */
async function queue(text: string, user: string, store: string[], env: Record<string, string>): Promise<string> {
  const run = await engram(['add', '--user', user, '--no-wait', text, ...store], { env });
  expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
  const [, id] = /^Queued as job (\S+) \(engram jobs show (\S+)\)$/.exec(run.stdout.trim()) ?? [];
  expect(id).toBeDefined();
  return id as string;
}

/** A job that failed in `db` (its one attempt: the model crashed), through the library; before any other job is queued there (flush works them all). */
async function failedJob(db: string, user = 'alice'): Promise<string> {
  const memory = await openTestMemory({ path: db, llm: new ScriptedLlm(new Error('the model crashed')), queue: { worker: false, maxAttempts: 1 } });
  const { jobId } = await memory.add('I like tea.', { userId: user, wait: false });
  expect(await memory.flush({ timeoutMs: 10_000 })).toMatchObject({ failed: 1 });
  await memory.close();
  return jobId;
}

async function jobOf(store: string[], env: Record<string, string>, id: string): Promise<Job> {
  return (await engram(['jobs', 'show', id, '--json', ...store], { env })).json<Job>();
}

describe('engram add --no-wait and engram jobs', () => {
  it('queues without an LLM and prints the job id; jobs show and jobs list tell its state, for people and with --json', async () => {
    const { store, env } = setup();
    const id = await queue('I moved to Berlin.', 'alice', store, env);
    const json = await engram(['add', '--user', 'bob', '--no-wait', '--json', 'I play chess.', ...store], { env });
    expect(json.json()).toEqual({ jobId: expect.any(String), status: 'queued' });
    const bobs = json.json<{ jobId: string }>().jobId;

    const shown = await engram(['jobs', 'show', id, ...store], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^id {8}${id}\\nstatus {4}queued\\nkind {6}extract\\nuser {6}alice\\nmessages  \\d+\\nattempts  0\\ncreated   \\S+\\nupdated   \\S+\\n$`));
    expect(await jobOf(store, env, id)).toMatchObject({ id, status: 'queued', kind: 'extract', userId: 'alice', attempts: 0, messageIds: [expect.any(Number)] });

    const listed = await engram(['jobs', 'list', ...store], { env });
    expect(listed.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${bobs}  queued {5}\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d  user=bob  attempts 0$`)),
      expect.stringMatching(new RegExp(`^${id}  queued {5}.*  user=alice  attempts 0$`)),
      '2 queued, 0 running, 0 done, 0 failed, 0 cancelled.',
    ]);
    // The scope comes from flags only: every scope by default, whatever ENGRAM_USER_ID says.
    expect((await engram(['jobs', 'list', '--json', ...store], { env: { ...env, ENGRAM_USER_ID: 'bob' } })).json<{ results: Job[] }>().results).toHaveLength(2);
    const alices = (await engram(['jobs', 'list', '--user', 'alice', '--json', ...store], { env })).json<{ results: Job[]; counts: Record<string, number> }>();
    expect(alices.results.map((job) => job.id)).toEqual([id]);
    expect(alices.counts).toEqual({ queued: 1, running: 0, done: 0, failed: 0, cancelled: 0 });
    expect((await engram(['jobs', 'list', '--status', 'done,failed', '--json', ...store], { env })).json()).toMatchObject({ results: [] });
    expect((await engram(['jobs', 'show', id, '--user', 'bob', ...store], { env })).code).toBe(3);
  });

  it('refuses bad usage with exit code 2 and an unknown job with exit code 3', async () => {
    const { store, env } = setup();
    const cases: [string[], RegExp][] = [
      [['add', '--user', 'alice', '--no-wait', '--no-infer', 'x', ...store], /--no-wait queues the work of the LLM; with --no-infer/],
      [['add', '--user', 'alice', '--wait=maybe', 'x', ...store], /--wait: must be true or false/],
      [['jobs', ...store], /missing what to do: list, show, retry, cancel/],
      [['jobs', 'frob', ...store], /must be one of list, show, retry, cancel/],
      [['jobs', 'show', ...store], /missing the job id/],
      [['jobs', 'list', '--status', 'pending', ...store], /--status: must be statuses separated by commas/],
      [['jobs', 'retry', 'some-id', '--limit', '3', ...store], /apply to `engram jobs list`/],
      [['worker', '--concurrency', '0', ...store], /--concurrency must be a whole number from 1 to 64/],
    ];
    for (const [args, message] of cases) {
      const run = await engram(args, { env });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
    await queue('something', 'alice', store, env);
    const missing = await engram(['jobs', 'show', '019ac0de-4a1b-7c3d-9e2f-0123456789ab', ...store], { env });
    expect(missing).toMatchObject({ code: 3, stdout: '', stderr: 'engram: no queued add with id 019ac0de-4a1b-7c3d-9e2f-0123456789ab [NOT_FOUND]\n' });
  });

  it('jobs retry queues a failed add again and jobs cancel drops a queued one, each once, inside the scope given', async () => {
    const { db, store, env } = setup();
    const failed = await failedJob(db);
    const list = await engram(['jobs', 'list', '--status', 'failed', ...store], { env });
    expect(list.stdout).toMatch(new RegExp(`^${failed}  failed {3}  .*  user=alice  attempts 1  .*the model crashed.* \\[LLM_FAILED\\]$`, 'm'));

    expect((await engram(['jobs', 'retry', failed, '--user', 'bob', ...store], { env })).code).toBe(3);
    const retried = await engram(['jobs', 'retry', failed, ...store], { env });
    expect(retried).toMatchObject({ code: 0, stdout: `Queued ${failed} again (attempts reset); a worker will take it up.\n` });
    expect(await jobOf(store, env, failed)).toMatchObject({ status: 'queued', attempts: 0 });
    const again = await engram(['jobs', 'retry', failed, ...store], { env });
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/is queued; only a failed or cancelled one can be retried \[NOT_FOUND\]/);

    const cancelled = await engram(['jobs', 'cancel', failed, '--json', ...store], { env });
    expect(cancelled.json()).toMatchObject({ id: failed, status: 'cancelled', finishedAt: expect.any(String) });
    expect((await engram(['jobs', 'cancel', failed, ...store], { env })).code).toBe(3);
    expect((await engram(['jobs', 'list', '--json', ...store], { env })).json()).toMatchObject({ counts: { queued: 0, failed: 0, cancelled: 1 } });
  });
});

describe('one-shot commands and the queue', () => {
  it('never work the queue: a queued add stays queued after search, list, get, jobs list and an add of another user', async () => {
    const { store, env } = setup();
    const id = await queue('I moved to Berlin.', 'alice', store, env);
    const llm = new EchoLlm();
    for (const args of [['search', 'Berlin', '--user', 'alice'], ['list', '--user', 'alice'], ['get', 'some-id'], ['jobs', 'list'], ['history', 'some-id']]) {
      await engram([...args, ...store], { env, llm });
    }
    expect(llm.requests).toHaveLength(0);
    expect(await jobOf(store, env, id)).toMatchObject({ status: 'queued', attempts: 0 });

    // A waited add works its own scope only.
    const bobs = await engram(['add', '--user', 'bob', 'I play chess.', ...store], { env, llm });
    expect(bobs.stdout).toMatch(/^ADD +\S+ +Said: I play chess\.$/m);
    expect(llm.requests).toHaveLength(1);
    expect(await jobOf(store, env, id)).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('add waits for the LLM by default (also with --wait), with a progress line on a terminal, cleared at the end', async () => {
    const { store, env } = setup();
    const llm = new EchoLlm();
    llm.hold();
    let stderr = '';
    const running = engram(['add', '--user', 'alice', '--wait', 'I moved to Berlin.', ...store], { env, llm, tty: true, onStderr: (text) => (stderr = text) });
    await expect.poll(() => stderr, { timeout: 5_000 }).toContain('extracting facts with the local LLM… 1 s');
    llm.release();
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ADD +\S+ +Said: I moved to Berlin\.$/m);
    expect(run.stderr.startsWith('\r\x1b[2Kextracting facts with the local LLM… 0 s')).toBe(true);
    expect(run.stderr.endsWith('\r\x1b[2K')).toBe(true);

    // Not on a terminal (a pipe, a log): no ticking clock.
    const piped = await engram(['add', '--user', 'alice', 'I play the violin.', ...store], { env, llm });
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    expect(piped.stdout).toMatch(/Said: I play the violin\./);
  });
});

describe('engram worker', () => {
  it('--once drains the queue left by add --no-wait, prints a line per add, then exits 0; the memories exist after', async () => {
    const { store, env } = setup();
    const alices = await queue('I moved to Berlin.', 'alice', store, env);
    const bobs = await queue('I play chess.', 'bob', store, env);
    const llm = new EchoLlm();

    const worked = await engram(['worker', '--once', ...store], { env, llm });
    expect(worked.code, worked.stderr).toBe(0);
    expect(worked.stdout.trim().split('\n').sort()).toEqual([`done ${alices} user=alice: 1 ADD`, `done ${bobs} user=bob: 1 ADD`].sort());
    expect(worked.stderr).toMatch(/^engram worker: working the queue of .*memory\.db \(concurrency 1\) until it is empty$/m);
    expect(worked.stderr).toMatch(/^engram worker: the queue is empty; 2 adds done, 0 failed$/m);
    expect((await engram(['list', '--user', 'alice', '--json', ...store], { env })).json<{ results: { memory: string }[] }>().results.map((m) => m.memory)).toEqual([
      'Said: I moved to Berlin.',
    ]);
    expect(await jobOf(store, env, alices)).toMatchObject({ status: 'done', results: [{ event: 'ADD', memory: 'Said: I moved to Berlin.' }] });
    expect((await engram(['worker', '--once', ...store], { env, llm })).stdout).toBe('');
    expect(llm.requests).toHaveLength(2);
  });

  it('fails at start without the LLM file, in the words engram add uses, and on a database that does not exist', async () => {
    const { store, env } = setup();
    await queue('I moved to Berlin.', 'alice', store, env);
    const noLlm = await engram(['worker', '--once', ...store], { env });
    expect(noLlm.code).toBe(1);
    expect(noLlm.stderr).toMatch(/^engram: no LLM at .*no-llm\.gguf: download one with `engram models pull`.*\[MODEL_NOT_FOUND\]\n$/);
    const missing = await engram(['worker', '--db', join(tempDir(), 'typo.db')], { env, llm: new EchoLlm() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no database at .*typo\.db \(nothing was created\).*\[FILE_NOT_FOUND\]/);
  });

  it('runs until stopped, and lets the add in flight land before it exits', async () => {
    const { store, env } = setup();
    const id = await queue('I moved to Berlin.', 'alice', store, env);
    const llm = new EchoLlm();
    llm.hold();
    const stop = new AbortController();
    const running = engram(['worker', '--concurrency', '2', ...store], { env, llm, signal: stop.signal });
    await expect.poll(() => llm.requests.length, { timeout: 10_000 }).toBe(1);
    stop.abort();
    await new Promise((resolve) => setTimeout(resolve, 100));
    llm.release();
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`done ${id} user=alice: 1 ADD\n`);
    expect(run.stderr).toMatch(/\(concurrency 2\); Ctrl-C stops\n.*stopping once the adds in flight land.*\n.*1 add done, 0 failed\n$/);
    expect(await jobOf(store, env, id)).toMatchObject({ status: 'done' });
  });

  it('the real process starts with an LLM file and exits 0 on SIGTERM', async () => {
    const { db, store, env } = setup();
    await engram(['add', '--user', 'alice', '--no-infer', 'A first memory.', ...store], { env });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--db', db, '--llm-model', TINY_LLM], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: tempDir(), ENGRAM_HOME: tempDir(), ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await expect.poll(() => stderr, { timeout: 20_000 }).toContain('Ctrl-C stops');
    child.kill('SIGTERM');
    // 'close': stderr is read to its end.
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/stopping once the adds in flight land.*\n.*0 adds done, 0 failed\n$/);
  });
});

describe('engram doctor and the queue', () => {
  it('shows the count per status and warns about failed adds with the commands that fix them (also in --json)', async () => {
    const { db, store, env } = setup();
    await failedJob(db, 'bob');
    await queue('I moved to Berlin.', 'alice', store, env);
    const worried = await engram(['doctor', ...store], { env });
    expect(worried.code).toBe(0);
    expect(worried.stdout).toMatch(/^! queue: 1 queued, 0 running, 0 done, 1 failed, 0 cancelled; 1 failed\n {4}fix: .*`engram jobs list --status failed`.*`engram jobs retry <id>`/m);
    const report = (await engram(['doctor', '--json', ...store], { env })).json<{ checks: { name: string; status: string; data?: unknown }[] }>();
    expect(report.checks.find((c) => c.name === 'queue')).toMatchObject({ status: 'warn', data: { counts: { queued: 1, running: 0, done: 0, failed: 1, cancelled: 0 } } });
  });

  it('is fine with adds that just came, and warns when the oldest queued add has waited over a minute: is a worker running?', async () => {
    const memory = await openTestMemory({ llm: null });
    await memory.add('I moved to Berlin.', { userId: 'alice', wait: false });
    await memory.add('I play chess.', { userId: 'bob', wait: false });
    const counts = { queued: 2, running: 0, done: 0, failed: 0, cancelled: 0 };
    expect(await checkQueue(memory)).toEqual({ name: 'queue', status: 'ok', detail: '2 queued, 0 running, 0 done, 0 failed, 0 cancelled', data: { counts } });
    const later = await checkQueue(memory, Date.now() + 5 * 60_000);
    expect(later).toMatchObject({ status: 'warn', detail: expect.stringMatching(/; the oldest queued add has waited 5:0\d$/), fix: expect.stringContaining('`engram worker`') });
  });
});

describe('engram serve and mcp usage', () => {
  it('document --no-worker', async () => {
    for (const command of ['serve', 'mcp']) {
      const help = await engram([command, '--help']);
      expect(help.stdout, command).toMatch(/--no-worker +leave the queued adds.* to `engram worker`/);
    }
  });
});
