import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Memory } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { startDatabase, type Database } from './support/postgres-database.js';
import { seededRandom } from './support/seeded-random.js';
import { tempDbPath, tempDir } from './support/test-memory.js';

/**
 * The queue's promise under crashes: producers and workers in their own
 * processes, SIGKILLed at random moments (mid-claim, mid-LLM call, mid-apply,
 * mid-enqueue), restarted, and finally left to drain. Then every
 * acknowledged add is done, no add is applied twice, each scope's facts are
 * in queue order, and verify() is clean. ENGRAM_TEST_QUEUE_KILLS sets the
 * number of kills per engine (default 25: 50 in all; CI runs 60 per engine).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const PROCESS = join(root, 'test/support/queue-process.ts');
const KILLS = Number(process.env.ENGRAM_TEST_QUEUE_KILLS ?? 25);
const SEED = Number(process.env.ENGRAM_TEST_SEED ?? 13);
const SCOPES = [{ userId: 'ann' }, { userId: 'ben' }, { userId: 'ann', agentId: 'coach' }];
const PER_PRODUCER = 40;
const WORKERS = 3;

function start(store: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', PROCESS, store, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', resolve));
}

async function crashRun(store: string): Promise<void> {
  const random = seededRandom(SEED);
  const startedAt = Date.now();
  const dir = tempDir();
  const report = join(dir, 'report.txt');
  const lines = () => (existsSync(report) ? readFileSync(report, 'utf8').split('\n') : []);
  const acks = () => lines().filter((line) => /^[0-9a-f-]{36} \d+$/u.test(line)).length;
  const working = (child: ChildProcess) => lines().includes(`worker ${child.pid} started`);
  const until = async (condition: () => boolean) => {
    while (!condition()) await sleep(20);
  };

  let next = 0;
  const produce = () => {
    const child = start(store, ['produce', report, String(next), String(PER_PRODUCER)]);
    next += PER_PRODUCER;
    return child;
  };
  let producer = produce();
  await until(() => acks() > 0);
  const workers = Array.from({ length: WORKERS }, () => start(store, ['work', report]));
  let kills = 0;
  while (kills < KILLS) {
    // Each kill hits a process that is at work: a worker that opened its store, or the producer mid-enqueue.
    const acked = acks();
    if (random() < 0.15 && producer.exitCode === null) {
      await until(() => acks() > acked || producer.exitCode !== null);
      await sleep(random() * 30);
      producer.kill('SIGKILL');
      await exited(producer);
    } else {
      const index = Math.floor(random() * workers.length);
      const victim = workers[index] as ChildProcess;
      await until(() => working(victim));
      await sleep(random() * 300);
      victim.kill('SIGKILL');
      await exited(victim);
      workers[index] = start(store, ['work', report]);
    }
    kills += 1;
    if (producer.exitCode !== null || producer.signalCode !== null) producer = produce();
  }
  const killedAt = Date.now();
  expect(await exited(producer)).toBe(0);
  const memory = await Memory.open({ path: store, embedder: new HashingEmbedder(16, 'test/queue-kill'), llm: null });
  try {
    // The workers drain the queue; leases of killed workers run out after 400 ms.
    await memory.flush({ timeoutMs: 120_000 }).catch(async (error: unknown) => {
      // Say which adds are stuck and why: a crash run is not repeated at will.
      const stuck = (await memory.jobs({ status: ['queued', 'running'], limit: 100 })).results.slice(-5).map((j) => JSON.stringify(j));
      const alive = workers.map((w) => `${w.pid}: ${w.exitCode === null && w.signalCode === null ? 'running' : `exited ${w.exitCode ?? w.signalCode}`}`);
      const trouble = lines().filter((line) => line.startsWith('trouble ')).slice(-5);
      throw new Error([String(error), 'oldest unfinished:', ...stuck, `workers: ${alive.join(', ')}`, 'last worker trouble:', ...trouble].join('\n'));
    });
    const drainedAt = Date.now();
    for (const worker of workers) worker.kill('SIGKILL');
    await Promise.all(workers.map(exited));

    const acknowledged = readFileSync(report, 'utf8')
      .split('\n')
      .filter((line) => /^[0-9a-f-]{36} \d+$/u.test(line))
      .map((line) => line.split(' ') as [string, string]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(PER_PRODUCER);
    for (const [jobId] of acknowledged) expect((await memory.job(jobId))?.status, `job ${jobId}`).toBe('done');
    const { counts } = await memory.jobs();
    expect({ queued: counts.queued, running: counts.running, failed: counts.failed, cancelled: counts.cancelled }).toEqual({ queued: 0, running: 0, failed: 0, cancelled: 0 });

    // Exactly once: one fact per queued message (acknowledged or not, a stored job is applied), in queue order per scope.
    let facts = 0;
    for (const [s, scope] of SCOPES.entries()) {
      const items = (await memory.getAll({ ...scope, limit: 1_000 })).results.filter((m) => (m.agentId ?? null) === (scope.agentId ?? null));
      const numbers = [...items].reverse().map((m) => Number(/^Fact message (\d+) #/u.exec(m.memory)?.[1]));
      expect(new Set(numbers).size, `scope ${s}: a message applied twice`).toBe(numbers.length);
      expect(numbers, `scope ${s}: queue order`).toEqual([...numbers].sort((a, b) => a - b));
      for (const n of numbers) expect(n % SCOPES.length).toBe(s);
      facts += numbers.length;
    }
    expect(facts).toBe(counts.done);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
    console.log(
      `queue crash run on ${store.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'}: ${KILLS} kills in ${((killedAt - startedAt) / 1000).toFixed(1)} s, ` +
        `drained in ${((drainedAt - killedAt) / 1000).toFixed(1)} s; ${counts.done} adds done, ${acknowledged.length} acknowledged`,
    );
  } finally {
    await memory.close();
    for (const worker of workers) worker.kill('SIGKILL');
  }
}

describe(`the queue survives ${KILLS} SIGKILLs of its producers and workers`, () => {
  it('on SQLite: every acknowledged add is applied exactly once, in order per scope', async () => {
    await crashRun(tempDbPath());
  }, 600_000);

  let database: Database | undefined;
  afterAll(async () => database?.stop());
  it('on PostgreSQL: every acknowledged add is applied exactly once, in order per scope', async () => {
    database = await startDatabase();
    await crashRun(database.url);
  }, 600_000);
});

describe('a worker killed mid-extraction', () => {
  it('leaves its add to the next worker on this machine at once, without waiting for its lease to run out', async () => {
    const store = tempDbPath();
    const embedder = new HashingEmbedder(16, 'test/queue-kill');
    const producer = await Memory.open({ path: store, embedder, llm: null });
    const { jobId } = await producer.add('message 0', { userId: 'ann', wait: false });
    const worker = spawn(process.execPath, ['--import', 'tsx', PROCESS, store, 'work', join(tempDir(), 'report.txt')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ENGRAM_TEST_LLM_DELAY_MS: '600000', ENGRAM_TEST_LEASE_MS: '600000' },
    });
    try {
      while ((await producer.job(jobId))?.status !== 'running') await sleep(20);
    } finally {
      worker.kill('SIGKILL');
      await exited(worker);
    }
    await producer.close();
    const llm = { id: 'test/resume', complete: async () => JSON.stringify({ operations: [{ event: 'ADD', text: 'Resumed', kind: 'semantic' }] }) };
    const next = await Memory.open({ path: store, embedder, llm, queue: { worker: false } });
    try {
      // The dead worker's lease has ten minutes to run; the add is done within seconds.
      expect(await next.flush({ timeoutMs: 10_000 })).toMatchObject({ done: 1, queued: 0, running: 0 });
      expect(await next.job(jobId)).toMatchObject({ status: 'done', attempts: 2, results: [{ event: 'ADD', memory: 'Resumed' }] });
    } finally {
      await next.close();
    }
  }, 60_000);
});
