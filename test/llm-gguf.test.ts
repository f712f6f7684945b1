import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLlmThreads, EngramError, GRAPH_OPERATIONS_JSON_SCHEMA, LlamaCppLlm, Memory, OPERATIONS_JSON_SCHEMA, type Scope } from 'engram-memory';
import { availableParallelism } from 'node:os';
import { answerContract, GraphOperationsSchema, OperationsSchema } from '../src/pipeline/operations.js';
import { closeAfterTest, TEST_EMBEDDING_MODEL, tempDbPath } from './support/test-memory.js';

/**
 * The real engine on the generated random-weight GGUF. Its answers mean
 * nothing, which makes it a fuzzer: constrained by the grammar, whatever it
 * says must parse, and whatever it decides must leave the store consistent.
 */
const TINY_LLM = fileURLToPath(new URL('../models/test/llm.gguf', import.meta.url));
const SEED = Number(process.env.ENGRAM_FUZZ_SEED ?? 20261126);

const PHRASES = [
  'I moved to Berlin last month.',
  'Actually I never liked coffee.',
  'My sister Ana is a doctor.',
  'I take ibuprofen 200 mg when my knee hurts.',
  'Forget what I said about the gym.',
  'We are flying to Tokyo on 3 March.',
  'Ich esse kein Fleisch.',
  'Can you remind me what I told you?',
];

describe('LlamaCppLlm on the generated GGUF', { timeout: 120_000 }, () => {
  let llm: LlamaCppLlm;
  beforeAll(() => {
    llm = new LlamaCppLlm({ model: TINY_LLM, threads: 1, contextSize: 2048, temperature: 1, seed: SEED, maxTokens: 256 });
  });
  afterAll(async () => {
    await llm.dispose();
  });

  it('always produces output that parses against the operations schema', async () => {
    for (let i = 0; i < 20; i++) {
      const raw = await llm.complete({
        messages: [
          { role: 'system', content: 'You keep an assistant’s long-term memory.' },
          { role: 'user', content: `EXISTING:\n0. ${PHRASES[i % PHRASES.length]}\nNEW:\nuser: ${PHRASES[(i * 3) % PHRASES.length]}` },
        ],
        schema: OPERATIONS_JSON_SCHEMA,
      });
      const parsed = OperationsSchema.safeParse(JSON.parse(raw));
      expect(parsed.success, `seed ${SEED}, call ${i}: ${raw}`).toBe(true);
    }
    expect(llm.usage.calls).toBe(20);
    expect(llm.usage.generatedTokens).toBeGreaterThan(20);
    expect(llm.threads).toBe(1); // as configured
  });

  it('always produces output that parses against the graph operations schema (relations derived into the grammar)', async () => {
    for (let i = 0; i < 10; i++) {
      const raw = await llm.complete({
        messages: [{ role: 'user', content: `NEW:\nuser: ${PHRASES[(i * 5) % PHRASES.length]}` }],
        schema: GRAPH_OPERATIONS_JSON_SCHEMA,
      });
      const parsed = GraphOperationsSchema.safeParse(JSON.parse(raw));
      expect(parsed.success, `seed ${SEED}, call ${i}: ${raw}`).toBe(true);
    }
  });

  it('files facts only under the policy’s categories, 1 to 3 each, and rates them 1 to 5, when the grammar asks for them', async () => {
    const names = ['health', 'work', 'plans'];
    const contract = answerContract(true, names, true);
    let filed = 0;
    let whole = 0;
    for (let i = 0; i < 10; i++) {
      const raw = await llm.complete({ messages: [{ role: 'user', content: `NEW:\nuser: ${PHRASES[(i * 7) % PHRASES.length]}` }], schema: contract.json });
      // A random model may ramble until maxTokens cuts the answer short (Engram refuses such an answer whole); check the whole ones.
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        expect(raw.length, `seed ${SEED}, call ${i}: an unparseable answer that was not cut short: ${raw}`).toBeGreaterThan(200);
        continue;
      }
      whole += 1;
      const { operations } = contract.schema.parse(json);
      for (const op of operations) {
        if (op.event !== 'ADD' && op.event !== 'UPDATE') continue;
        filed += 1;
        expect(op.categories?.length, `seed ${SEED}, call ${i}: ${raw}`).toBeGreaterThanOrEqual(1);
        expect(op.categories?.length).toBeLessThanOrEqual(3);
        for (const name of op.categories ?? []) expect(names, raw).toContain(name);
        expect([1, 2, 3, 4, 5], `seed ${SEED}, call ${i}: ${raw}`).toContain(op.importance);
      }
    }
    expect(whole).toBeGreaterThanOrEqual(5);
    expect(filed).toBeGreaterThan(0);
  });

  it('runs on the physical cores this process may use by default, not node-llama-cpp\'s at-least-4', async () => {
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    const byDefault = new LlamaCppLlm({ model: TINY_LLM, contextSize: 1024, maxTokens: 16 });
    try {
      expect(byDefault.threads).toBeUndefined(); // nothing loaded yet
      await byDefault.complete({ messages: [{ role: 'user', content: 'hello' }], schema: OPERATIONS_JSON_SCHEMA });
      expect(byDefault.threads).toBe(defaultLlmThreads(llama.cpuMathCores));
      expect(byDefault.threads).toBeLessThanOrEqual(availableParallelism());
    } finally {
      await byDefault.dispose();
    }
  });

  it('after 50 random-model adds the store invariants hold and no memory crosses scopes', async () => {
    const path = tempDbPath();
    const memory = closeAfterTest(
      await Memory.open({
        path,
        embedder: { model: TEST_EMBEDDING_MODEL },
        llm: { model: TINY_LLM, threads: 1, contextSize: 2048, temperature: 1, seed: SEED + 1, maxTokens: 256 },
      }),
    );
    const scopes: Scope[] = [{ userId: 'alice' }, { userId: 'bob' }, { userId: 'alice', agentId: 'coach' }, { agentId: 'coach', runId: 'r1' }];
    const events = { ADD: 0, UPDATE: 0, DELETE: 0, NONE: 0, dropped: 0, invalid: 0 };
    for (let i = 0; i < 50; i++) {
      const scope = scopes[i % scopes.length]!;
      const messages = [
        { role: 'user' as const, content: `${PHRASES[i % PHRASES.length]} (${i})` },
        { role: 'assistant' as const, content: PHRASES[(i + 3) % PHRASES.length]! },
      ];
      try {
        const outcome = await memory.add(messages, scope);
        for (const r of outcome.results) events[r.event] += 1;
        events.dropped += outcome.droppedOperations;
      } catch (error) {
        // The grammar is not a guarantee; an invalid answer must be refused whole.
        if (!(error instanceof EngramError) || error.code !== 'LLM_OUTPUT_INVALID') throw error;
        events.invalid += 1;
      }
      if (i % 10 === 9) await memory.add(`raw note ${i}`, { ...scope, infer: false }); // give the model candidates to act on
    }
    // The fuzzer must actually exercise the pipeline, not answer [] every time.
    expect(events.ADD + events.UPDATE + events.DELETE + events.NONE + events.dropped, JSON.stringify(events)).toBeGreaterThan(10);
    console.log(`tiny-GGUF fuzz, seed ${SEED}: ${JSON.stringify(events)}`);
    expect(await memory.verify(), `seed ${SEED}; events ${JSON.stringify(events)}`).toEqual({ ok: true, problems: [] });
    for (const scope of scopes) {
      for (const item of (await memory.getAll({ ...scope, limit: 1000 })).results) {
        if (scope.userId) expect(item.userId).toBe(scope.userId);
        if (scope.agentId) expect(item.agentId).toBe(scope.agentId);
        if (scope.runId) expect(item.runId).toBe(scope.runId);
      }
    }
    const bobIds = new Set((await memory.getAll({ userId: 'bob', limit: 1000 })).results.map((r) => r.id));
    for (const other of [{ userId: 'alice' }, { agentId: 'coach' }]) {
      for (const item of (await memory.getAll({ ...other, limit: 1000 })).results) expect(bobIds.has(item.id)).toBe(false);
    }
  });
});
