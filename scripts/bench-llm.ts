/**
 * The cost of `add` with inference (a script, not a test):
 *   npm run bench:llm                 # 20 adds with prefix reuse, 8 without, then add latency per thread count
 *   npm run bench:llm -- --threads 1 --sweep 1,2,4,8
 *
 * Runs the real pipeline (node-llama-cpp, grammar, one transaction) with a
 * random-weight GGUF of Qwen2.5-0.5B's shape and Q4_0 weights: speed does not
 * depend on weight values. Under the grammar the random model answers
 * {"operations":[]} after ~9 tokens, while a real model's typical answer is
 * 30-80 tokens; so the bench also measures free generation speed and prints
 * the latency estimated for a 60-token answer.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultLlmThreads, EngramError, LlamaCppLlm, Memory, type Llm, type LlmRequest } from '../src/index.js';
import { fmt, peakRssMiB, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(root, 'models/bench/qwen2.5-0.5b-random-q4_0.gguf') },
    // Engram's default: the physical cores this process may use.
    threads: { type: 'string' },
    sweep: { type: 'string', default: '1,2,4' },
    adds: { type: 'string', default: '20' },
    gen: { type: 'string', default: '64' },
  },
});
const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
const probe = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const defaultThreads = defaultLlmThreads(probe.cpuMathCores);
let threads = values.threads === undefined ? defaultThreads : Number(values.threads);
const sweep = values.sweep.split(',').filter(Boolean).map(Number);
const gen = Number(values.gen);
const adds = Number(values.adds);

if (!existsSync(values.model)) {
  console.error(`no bench model at ${values.model}; run \`npm run models:bench\` first`);
  process.exit(1);
}

/** An Llm that starts every call on a fresh context: what each add would cost without prefix reuse. */
class NoReuseLlm implements Llm {
  readonly id = 'no-reuse';
  readonly usage = { calls: 0, evaluatedPromptTokens: 0, promptTokens: 0, generatedTokens: 0 };
  async complete(request: LlmRequest): Promise<string> {
    const llm = new LlamaCppLlm({ model: values.model, threads, maxTokens: gen });
    try {
      return await llm.complete(request);
    } finally {
      for (const key of Object.keys(this.usage) as (keyof typeof this.usage)[]) this.usage[key] += llm.usage[key];
      await llm.dispose();
    }
  }
}

async function run(label: string, llm: LlamaCppLlm | NoReuseLlm, count: number, dir: string): Promise<{ p50: number; p95: number; generated: number }> {
  const random = seededRandom(label.length);
  const memory = await Memory.open({ path: join(dir, `${label}.db`), embedder: { model: join(root, 'models/test/embedding') }, llm });
  // A scope with history: 200 memories, so each add shows the model its 10 nearest.
  for (const start of [0, 100]) {
    const batch = Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: sentence(start + i, random) }));
    await memory.add(batch, { userId: 'bench', infer: false });
  }
  // The first add loads the model and evaluates the fixed instructions: timed apart.
  const coldStart = performance.now();
  await memory.add('Warm-up: I like quiet mornings.', { userId: 'bench' }).catch(() => undefined);
  const firstAdd = performance.now() - coldStart;
  const latencies: number[] = [];
  let invalid = 0;
  const before = { ...llm.usage };
  for (let i = 0; i < count; i++) {
    const messages = [
      { role: 'user' as const, content: `${sentence(1000 + i, random)} Also, ${sentence(2000 + i, random).toLowerCase()}` },
      { role: 'assistant' as const, content: `Noted. ${sentence(3000 + i, random)}` },
    ];
    const start = performance.now();
    try {
      await memory.add(messages, { userId: 'bench' });
    } catch (error) {
      if (!(error instanceof EngramError) || error.code !== 'LLM_OUTPUT_INVALID') throw error;
      invalid += 1;
    }
    latencies.push(performance.now() - start);
  }
  await memory.close();
  const calls = llm.usage.calls - before.calls;
  const per = (key: keyof typeof before) => (llm.usage[key] - before[key]) / count;
  console.log(`\n${label} (${count} adds of 2 messages after the first, scope of 200 memories, ${threads} thread${threads > 1 ? 's' : ''})`);
  console.log(`  first add (model load + instructions): ${fmt(firstAdd / 1000)} s`);
  console.log(`  LLM calls per add:                 ${fmt(calls / count)}`);
  console.log(`  prompt tokens per add, in all:     ${fmt(per('promptTokens'), 0)}`);
  console.log(`  prompt tokens per add, evaluated:  ${fmt(per('evaluatedPromptTokens'), 0)}`);
  console.log(`  generated tokens per add:          ${fmt(per('generatedTokens'), 0)} (capped at ${gen}; ${invalid} answers cut short)`);
  console.log(`  add latency:                       p50 ${fmt(percentile(latencies, 50) / 1000)} s   p95 ${fmt(percentile(latencies, 95) / 1000)} s`);
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), generated: per('generatedTokens') };
}

/** Tokens per second of unconstrained generation (the random model never stops by itself). */
async function generationSpeed(): Promise<number> {
  const { getLlama, LlamaChat, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: values.model });
  const context = await model.createContext({ contextSize: 1024, threads });
  const chat = new LlamaChat({ contextSequence: context.getSequence() });
  await chat.generateResponse([{ type: 'user', text: 'Warm up.' }, { type: 'model', response: [] }], { maxTokens: 4 });
  const start = performance.now();
  let tokens = 0;
  await chat.generateResponse([{ type: 'user', text: 'Write a long story.' }, { type: 'model', response: [] }], {
    maxTokens: 96,
    onToken: (chunk) => void (tokens += chunk.length),
  });
  const seconds = (performance.now() - start) / 1000;
  chat.dispose();
  await context.dispose();
  await model.dispose();
  return tokens / seconds;
}

const dir = mkdtempSync(join(tmpdir(), 'engram-bench-llm-'));
try {
  console.log(`Engram LLM bench — ${values.model.split('/').at(-1)}, Node ${process.version}`);
  const reuse = new LlamaCppLlm({ model: values.model, threads, maxTokens: gen });
  const cached = await run('with prefix reuse', reuse, adds, dir);
  await reuse.dispose();
  const cold = await run('without prefix reuse', new NoReuseLlm(), Math.max(3, Math.round(adds / 3)), dir);
  const speed = await generationSpeed();
  const extra = (tokens: number) => (Math.max(0, 60 - tokens) / speed) * 1000;
  console.log(`
free generation: ${fmt(speed, 1)} tokens/s`);
  console.log(`estimated add latency with a 60-token answer: with reuse p50 ${fmt((cached.p50 + extra(cached.generated)) / 1000)} s, p95 ${fmt((cached.p95 + extra(cached.generated)) / 1000)} s; without reuse p50 ${fmt((cold.p50 + extra(cold.generated)) / 1000)} s`);

  // How the thread count changes an add: too many threads for the cores is the slowest setting of all.
  const rows: string[] = [];
  for (const count of sweep) {
    threads = count;
    const llm = new LlamaCppLlm({ model: values.model, threads, maxTokens: gen });
    const measured = await run(`${count} threads`, llm, Math.max(4, Math.round(adds / 2)), dir);
    await llm.dispose();
    const tokensPerSecond = await generationSpeed();
    const estimated = measured.p50 + (Math.max(0, 60 - measured.generated) / tokensPerSecond) * 1000;
    rows.push(
      `| ${count}${count === defaultThreads ? ' (default here)' : ''} | ${fmt(measured.p50 / 1000)} s | ${fmt(measured.p95 / 1000)} s | ${fmt(tokensPerSecond, 1)} | ${fmt(estimated / 1000)} s |`,
    );
  }
  console.log(`\nadd latency per thread count (${availableParallelism()} CPUs, ${probe.cpuMathCores} physical cores):`);
  console.log('| threads | add p50 | add p95 | free generation, tokens/s | add p50 estimated with a 60-token answer |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(`\npeak RSS: ${fmt(peakRssMiB(), 0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
