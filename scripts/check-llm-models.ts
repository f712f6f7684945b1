/**
 * Loads the generated GGUF models with node-llama-cpp and checks what Engram relies on:
 *
 * - models/test/llm.gguf (tiny): node-llama-cpp parses the file, picks its ChatML
 *   wrapper, and every one of `--runs` JSON-schema-constrained generations (Engram's
 *   reconciliation schema, varied user messages) parses and validates; ms and tokens
 *   per generation are printed.
 * - models/bench/qwen2.5-0.5b-random-q4_0.gguf (bench): load time, RSS, prompt and
 *   generation speed for each `--threads` value, and prefix reuse: a second call whose
 *   history shares the ~600-token system prompt must evaluate only the new suffix.
 *
 *   npx tsx scripts/check-llm-models.ts                        # both models
 *   npx tsx scripts/check-llm-models.ts --model tiny --runs 20 --tiny-threads 1
 *   npx tsx scripts/check-llm-models.ts --model bench --threads 1,2 --repeat 3
 *
 * Run scripts/make-test-models.ts and scripts/make-bench-models.ts first.
 * Never start node-llama-cpp with `node -e`: its binary self-test then fails and it
 * falls back to a source build; `build: 'never'` turns that into a fast error.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getLlama, LlamaChat, LlamaLogLevel, readGgufFileInfo, type Llama, type LlamaGrammar, type LlamaJsonSchemaGrammar, type LlamaModel, type GbnfJsonSchema } from 'node-llama-cpp';
import { probeSchemaConstructs } from './lib/grammar-construct-probes.js';
import { chatHistory, probeResponse, type ResponseProbe } from './lib/llm-response-probe.js';
import { longSystemPrompt, SHORT_SYSTEM_PROMPT, USER_MESSAGES } from './lib/llm-check-prompts.js';
import { OPERATIONS_JSON_SCHEMA, OperationsSchema } from '../src/pipeline/operations.js';
import { projectRoot, runScript } from './lib/script-cli.js';
import { checkQwenTokenizerParity, checkRoundTrip, TOKENIZER_SAMPLES } from './lib/tokenizer-checks.js';

/** Engram's own reconciliation schema: the checks exercise exactly what the pipeline sends. */
const RECONCILE_SCHEMA = OPERATIONS_JSON_SCHEMA as unknown as GbnfJsonSchema;
const TINY_MODEL = join(projectRoot, 'models', 'test', 'llm.gguf');
const BENCH_MODEL = join(projectRoot, 'models', 'bench', 'qwen2.5-0.5b-random-q4_0.gguf');
const CONTEXT_SIZE = 4096;
const MAX_TOKENS = 512;
/** Enough generated tokens for a stable tokens/s figure, few enough to keep the check short. */
const BENCH_MAX_TOKENS = 48;
const FREE_GENERATION_TOKENS = 64;

interface Options {
  readonly models: ReadonlySet<'tiny' | 'bench'>;
  readonly runs: number;
  readonly tinyThreads: number;
  readonly benchThreads: readonly number[];
  readonly repeat: number;
}

runScript(async () => {
  const options = readOptions();
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  try {
    if (options.models.has('tiny')) await checkTinyModel(llama, options);
    if (options.models.has('bench')) await checkBenchModel(llama, options);
  } finally {
    await llama.dispose();
  }
});

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'all' },
      runs: { type: 'string', default: '20' },
      'tiny-threads': { type: 'string', default: '1' },
      threads: { type: 'string', default: '1,2' },
      repeat: { type: 'string', default: '3' },
    },
  });
  const model = values.model;
  if (model !== 'all' && model !== 'tiny' && model !== 'bench') throw new Error(`--model must be tiny, bench or all, got "${model}"`);
  return {
    models: new Set(model === 'all' ? (['tiny', 'bench'] as const) : [model]),
    runs: positiveInt('--runs', values.runs),
    tinyThreads: positiveInt('--tiny-threads', values['tiny-threads']),
    benchThreads: values.threads.split(',').map((t) => positiveInt('--threads', t)),
    repeat: positiveInt('--repeat', values.repeat),
  };
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got "${text}"`);
  return n;
}

// ---------------------------------------------------------------- tiny model

async function checkTinyModel(llama: Llama, options: Options): Promise<void> {
  console.log(`\n== tiny test model: ${TINY_MODEL}`);
  await describeFile(TINY_MODEL, 'scripts/make-test-models.ts');
  const model = await timedLoad(llama, TINY_MODEL);
  try {
    checkRoundTrip(model);
    console.log(`tokenizer: ${TOKENIZER_SAMPLES.length} sample texts (incl. non-ASCII) survive tokenize → detokenize`);
    const grammar = await llama.createGrammarForJsonSchema<GbnfJsonSchema>(RECONCILE_SCHEMA);
    console.log(`reconciliation schema (oneOf + const + enum): ${grammar.grammar.length} chars of GBNF`);
    for (const line of await probeSchemaConstructs(llama)) console.log(`  schema construct ${line}`);
    const context = await model.createContext({ contextSize: CONTEXT_SIZE, threads: options.tinyThreads });
    try {
      const chat = new LlamaChat({ contextSequence: context.getSequence() });
      console.log(`chat wrapper: ${chat.chatWrapper.wrapperName}; threads ${context.currentThreads}`);
      await runTinyGenerations(chat, grammar, options.runs);
      chat.dispose();
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/** `runs` generations on one sequence (the system prompt stays cached); each must parse and validate. */
async function runTinyGenerations(chat: LlamaChat, grammar: LlamaJsonSchemaGrammar<GbnfJsonSchema>, runs: number): Promise<void> {
  const probes: ResponseProbe[] = [];
  for (let run = 0; run < runs; run++) {
    const message = USER_MESSAGES[run % USER_MESSAGES.length] ?? '';
    const probe = await probeResponse(chat, chatHistory(SHORT_SYSTEM_PROMPT, message), { grammar, maxTokens: MAX_TOKENS });
    JSON.parse(probe.text); // the requirement, spelled out; grammar.parse() adds schema validation
    grammar.parse(probe.text); // throws unless the output matches the schema
    const parsed = OperationsSchema.parse(JSON.parse(probe.text));
    probes.push(probe);
    console.log(
      `  #${String(run + 1).padStart(2)} ${probe.totalMs.toFixed(1).padStart(6)} ms, prompt ${String(probe.promptTokensEvaluated).padStart(3)} tok evaluated, ` +
        `${String(probe.generatedTokens).padStart(2)} tok generated (${probe.stopReason}), ${parsed.operations.length} ops: ${probe.text}`,
    );
  }
  const meanMs = probes.reduce((sum, p) => sum + p.totalMs, 0) / probes.length;
  console.log(`all ${probes.length} outputs parse and match the schema; mean ${meanMs.toFixed(1)} ms per generation`);
}

// --------------------------------------------------------------- bench model

async function checkBenchModel(llama: Llama, options: Options): Promise<void> {
  console.log(`\n== bench model: ${BENCH_MODEL}`);
  await describeFile(BENCH_MODEL, 'scripts/make-bench-models.ts');
  const model = await timedLoad(llama, BENCH_MODEL);
  try {
    checkRoundTrip(model);
    const parityTokens = await checkQwenTokenizerParity(model);
    console.log(`tokenizer: ${TOKENIZER_SAMPLES.length} sample texts (${parityTokens} tokens) give the same ids as the reference Qwen tokenizer`);
    const grammar = await llama.createGrammarForJsonSchema<GbnfJsonSchema>(RECONCILE_SCHEMA);
    const systemPrompt = longSystemPrompt();
    console.log(`system prompt: ${model.tokenize(systemPrompt).length} tokens on its own; ${options.repeat} repetitions, medians shown`);
    for (const threads of options.benchThreads) await benchWithThreads(model, grammar, systemPrompt, threads, options.repeat);
  } finally {
    await model.dispose();
  }
}

/**
 * Per repetition, on one context sequence: a cold call (history cleared), a call with
 * the same system prompt and another user message (only the suffix should be
 * evaluated), and a call without grammar for a clean generation speed (a random
 * model under the grammar stops after a few tokens).
 */
async function benchWithThreads(model: LlamaModel, grammar: LlamaGrammar, systemPrompt: string, threads: number, repeat: number): Promise<void> {
  const context = await model.createContext({ contextSize: CONTEXT_SIZE, threads });
  try {
    const sequence = context.getSequence();
    const chat = new LlamaChat({ contextSequence: sequence });
    console.log(`-- threads ${threads} (context reports ${context.currentThreads}); chat wrapper: ${chat.chatWrapper.wrapperName}`);
    const cold: ResponseProbe[] = [];
    const warm: ResponseProbe[] = [];
    const free: ResponseProbe[] = [];
    for (let i = 0; i < repeat; i++) {
      await sequence.clearHistory();
      const message = (offset: number): string => USER_MESSAGES[(i + offset) % USER_MESSAGES.length] ?? '';
      cold.push(await probeResponse(chat, chatHistory(systemPrompt, message(0)), { grammar, maxTokens: BENCH_MAX_TOKENS }));
      warm.push(await probeResponse(chat, chatHistory(systemPrompt, message(7)), { grammar, maxTokens: BENCH_MAX_TOKENS }));
      free.push(await probeResponse(chat, chatHistory(systemPrompt, message(13)), { maxTokens: FREE_GENERATION_TOKENS }));
    }
    printBenchProbes('cold call (grammar)', cold);
    printBenchProbes('same system prompt, new user message (grammar)', warm);
    printBenchProbes('same system prompt, no grammar', free);
    console.log(`   RSS ${rssMb()} MB`);
    chat.dispose();
  } finally {
    await context.dispose();
  }
}

function printBenchProbes(label: string, probes: readonly ResponseProbe[]): void {
  const promptTokens = median(probes.map((p) => p.promptTokensEvaluated));
  const promptRate = median(probes.map((p) => p.promptTokensEvaluated / (p.firstTokenMs / 1000)));
  // The first generated token comes with the prompt evaluation; the rest are pure generation.
  const generationRate = median(probes.map((p) => (p.generatedTokens - 1) / ((p.totalMs - p.firstTokenMs) / 1000)));
  const sample = probes[0];
  console.log(
    `   ${label}: prompt ${promptTokens} tok evaluated in ${median(probes.map((p) => p.firstTokenMs)).toFixed(0)} ms (${promptRate.toFixed(1)} tok/s); ` +
      `generated ${median(probes.map((p) => p.generatedTokens))} tok (${sample?.stopReason}) at ${generationRate.toFixed(1)} tok/s; ` +
      `total ${median(probes.map((p) => p.totalMs)).toFixed(0)} ms`,
  );
  console.log(`     e.g. ${JSON.stringify(sample?.text.slice(0, 100))}`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

// ------------------------------------------------------------------- shared

/** Parses the header with node-llama-cpp's own GGUF reader: an independent check of the writer. */
async function describeFile(path: string, generator: string): Promise<void> {
  if (!existsSync(path)) throw new Error(`${path} not found: run npx tsx ${generator}`);
  const info = await readGgufFileInfo(path, { readTensorInfo: true });
  const metadata = info.metadata as { general?: { architecture?: string; name?: string }; tokenizer?: { ggml?: { tokens?: readonly string[] } } };
  console.log(
    `GGUF v${info.version}: ${metadata.general?.architecture} "${metadata.general?.name}", ${info.tensorInfo?.length ?? 0} tensors, ` +
      `${metadata.tokenizer?.ggml?.tokens?.length ?? 0} tokens`,
  );
}

async function timedLoad(llama: Llama, path: string): Promise<LlamaModel> {
  const rssBefore = rssMb();
  const start = performance.now();
  const model = await llama.loadModel({ modelPath: path });
  console.log(`loaded in ${(performance.now() - start).toFixed(0)} ms; RSS ${rssBefore} → ${rssMb()} MB; vocabulary ${model.vocabularyType}, eos ${JSON.stringify(model.tokens.eosString)}`);
  return model;
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1e6);
}
