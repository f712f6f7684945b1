/**
 * The extraction queue (a script, not a test):
 *   npm run bench:queue                      # SQLite and PGlite, the random-weight 0.5B bench LLM
 *   npm run bench:queue -- --adds 300 --engine sqlite
 *
 * Prints, per engine:
 * - queued-add latency (add with wait: false): with no worker, and while a
 *   worker runs the real LLM on the same machine (the realistic case);
 * - LLM calls and prompt tokens per message when 1, 5 and 20 messages of a
 *   scope wait together (batching), and the time to drain them;
 * - the time to drain a backlog with batching on and off.
 * The random-weight model answers {"operations":[]} in ~9 tokens, so the
 * figures measure prompt work (what batching saves), not answer length.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LlamaCppLlm, Memory, PostgresStorage, type MemoryOptions } from '../src/index.js';
import { fmt, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(root, 'models/bench/qwen2.5-0.5b-random-q4_0.gguf') },
    adds: { type: 'string', default: '200' },
    engine: { type: 'string', default: 'sqlite,postgres' },
    threads: { type: 'string' },
  },
});
if (!existsSync(values.model)) {
  console.error(`no bench model at ${values.model}; run \`npm run models:bench\` first`);
  process.exit(1);
}
const adds = Number(values.adds);
const threads = values.threads === undefined ? undefined : Number(values.threads);
const embedder = { model: join(root, 'models/test/embedding') };
const dir = mkdtempSync(join(tmpdir(), 'engram-bench-queue-'));
let stores = 0;

/** A fresh store of the engine: a SQLite file, or an in-process PGlite with pgvector. */
async function where(engine: string): Promise<Pick<MemoryOptions, 'path' | 'storage'>> {
  stores += 1;
  if (engine === 'sqlite') return { path: join(dir, `bench-${stores}.db`) };
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  return { storage: await PostgresStorage.open({ pglite: await PGlite.create({ extensions: { vector } }) }) };
}

async function open(engine: string, llm: LlamaCppLlm | null, queue: MemoryOptions['queue']): Promise<{ memory: Memory; close: () => Promise<void> }> {
  const store = await where(engine);
  const memory = await Memory.open({ ...store, embedder, llm, queue });
  return {
    memory,
    close: async () => {
      await memory.close();
      await store.storage?.close();
    },
  };
}

/** 200 memories in the scope, so each extraction shows the model its 10 nearest. */
async function seed(memory: Memory, random: () => number): Promise<void> {
  for (const start of [0, 100]) {
    await memory.add(
      Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: sentence(start + i, random) })),
      { userId: 'bench', infer: false },
    );
  }
}

async function queueLatency(memory: Memory, random: () => number, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await memory.add(sentence(5000 + i, random), { userId: `user-${i % 10}`, wait: false });
    latencies.push(performance.now() - start);
  }
  return latencies;
}

const line = (label: string, ms: number[]) => `  ${label.padEnd(44)} p50 ${fmt(percentile(ms, 50))} ms   p95 ${fmt(percentile(ms, 95))} ms   (${ms.length} adds)`;

try {
  console.log(`Engram queue bench — ${values.model.split('/').at(-1)}, Node ${process.version}`);
  for (const engine of values.engine.split(',')) {
    console.log(`\n${engine === 'sqlite' ? 'SQLite (one file)' : 'PostgreSQL (PGlite, in process)'}`);

    // 1. Queued-add latency: the add stores its messages and its job, nothing else.
    {
      const random = seededRandom(1);
      const idle = await open(engine, null, { worker: false });
      await queueLatency(idle.memory, random, 20); // warm-up
      console.log(line('queued add, no worker running:', await queueLatency(idle.memory, random, adds)));
      await idle.close();

      const llm = new LlamaCppLlm({ model: values.model, threads, maxTokens: 64 });
      const busy = await open(engine, llm, { worker: true, pollMs: 50 });
      await seed(busy.memory, random);
      await busy.memory.add('Warm-up: I like quiet mornings.', { userId: 'bench' }); // loads the model
      await busy.memory.add(sentence(9000, random), { userId: 'bench', wait: false });
      const latencies = await queueLatency(busy.memory, random, Math.min(adds, 100));
      console.log(line('queued add while the worker runs the LLM:', latencies));
      await busy.memory.jobs().then(({ counts }) => console.log(`  (the worker finished ${counts.done} of ${counts.done + counts.queued + counts.running} jobs meanwhile; the rest is cancelled)`));
      for (const job of (await busy.memory.jobs({ status: ['queued'], limit: 1000 })).results) await busy.memory.cancelJob(job.id);
      await busy.close();
      await llm.dispose();
    }

    // 2. Batching: k messages of one scope waiting together.
    console.log('  batching (messages of one scope waiting together, 200 memories in the scope):');
    console.log(`    ${'waiting'.padEnd(9)}${'LLM calls'.padStart(10)}${'prompt tok/msg'.padStart(16)}${'evaluated tok/msg'.padStart(19)}${'generated/msg'.padStart(15)}${'drain s'.padStart(9)}${'s/msg'.padStart(8)}`);
    for (const [waiting, batchMessages] of [
      [1, 20],
      [5, 20],
      [20, 20],
      [20, 1],
    ] as const) {
      const random = seededRandom(2);
      const llm = new LlamaCppLlm({ model: values.model, threads, maxTokens: 64 });
      const { memory, close } = await open(engine, llm, { worker: false, batchMessages });
      await seed(memory, random);
      await memory.add('Warm-up: I like quiet mornings.', { userId: 'bench' });
      for (let i = 0; i < waiting; i++) await memory.add(sentence(7000 + i, random), { userId: 'bench', wait: false });
      const before = { ...llm.usage };
      const start = performance.now();
      await memory.flush({ timeoutMs: 3_600_000 });
      const seconds = (performance.now() - start) / 1000;
      const per = (key: keyof typeof before) => (llm.usage[key] - before[key]) / waiting;
      const label = `${waiting}${batchMessages === 1 ? ' (off)' : ''}`;
      console.log(
        `    ${label.padEnd(9)}${String(llm.usage.calls - before.calls).padStart(10)}${fmt(per('promptTokens'), 0).padStart(16)}${fmt(per('evaluatedPromptTokens'), 0).padStart(19)}` +
          `${fmt(per('generatedTokens'), 0).padStart(15)}${fmt(seconds).padStart(9)}${fmt(seconds / waiting).padStart(8)}`,
      );
      await close();
      await llm.dispose();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
