import { embedChecked, type Embedder } from '../embed/embedder.js';
import { EngramError } from '../errors.js';
import { newId } from '../ids.js';
import type { Llm, LlmRequest } from '../llm/llm.js';
import type { MemoryEvent, MemoryItem, MemoryKind, Message, Scope } from '../schema.js';
import type { StorageTransaction, Storage } from '../storage/storage.js';
import { cleanText, textHash } from '../text-hash.js';
import { toEpochMs } from '../time.js';
import { OPERATIONS_JSON_SCHEMA, OperationsSchema, parseModelOutput } from './operations.js';
import { reconcilePrompt, type PromptMessage } from './prompts.js';
import { planChanges, type Candidate, type PlannedChange } from './reconcile.js';

export type InferDeps = {
  storage: Storage;
  embedder: Embedder;
  llm: Llm;
};

export type InferAddInput = { messages: Message[]; scope: Scope; metadata: Record<string, unknown>; now: number };
export type AddOutcome = { results: MemoryEvent[]; droppedOperations: number };

/** Current memories shown to the model, best match first. */
const MAX_CANDIDATES = 10;
/** Logged messages of the scope shown as context. */
const EARLIER_MESSAGES = 4;

/**
 * `add` with inference: one LLM call decides, for the new messages, which
 * facts to ADD and which existing memories to UPDATE, DELETE or leave (NONE);
 * then everything lands in one transaction. Models run before the
 * transaction; the transaction re-checks what they saw.
 */
export async function addWithInference(deps: InferDeps, input: InferAddInput): Promise<AddOutcome> {
  const spoken = input.messages.filter((m): m is Message & { role: 'user' | 'assistant' } => m.role !== 'system');
  const observedAt = observationTime(input.messages, input.now);
  if (spoken.length === 0) {
    await deps.storage.transaction('write', 'logging messages', (tx) => logMessages(tx, input));
    return { results: [], droppedOperations: 0 };
  }

  const messageVectors = await embedChecked(
    deps.embedder,
    spoken.map((m) => cleanText(m.content)),
  );
  const { candidates, earlier } = await deps.storage.transaction('read', 'gathering context', async (tx) => ({
    candidates: await findCandidates(tx, messageVectors, input.scope),
    earlier: await tx.recentMessages(input.scope, EARLIER_MESSAGES),
  }));
  const prompt = reconcilePrompt({
    observedAt: new Date(observedAt),
    candidates: candidates.map((c) => ({ alias: c.alias, text: c.item.memory })),
    earlier: earlier.flatMap((m): PromptMessage[] => (m.role === 'system' ? [] : [{ role: m.role, content: m.content, name: m.name ?? undefined }])),
    messages: spoken.map((m) => ({ role: m.role, content: m.content, name: m.name })),
  });
  const raw = await callLlm(deps.llm, { messages: prompt, schema: OPERATIONS_JSON_SCHEMA });
  const { operations } = parseModelOutput(raw, OperationsSchema, deps.llm.id);
  const plan = planChanges(operations, candidates);

  const written = plan.changes.filter((c): c is Extract<PlannedChange, { text: string }> => 'text' in c);
  const vectors = await embedChecked(
    deps.embedder,
    written.map((c) => c.text),
  );
  const vectorOf = new Map(written.map((c, i) => [c, vectors[i] as Float32Array]));

  return deps.storage.transaction('write', 'storing inferred memories', async (tx) => {
    const messageIds = await logMessages(tx, input);
    let dropped = plan.dropped;
    const results: MemoryEvent[] = [];
    for (const change of plan.changes) {
      const event = await applyChange(tx, input, change, vectorOf.get(change as Extract<PlannedChange, { text: string }>), observedAt, messageIds);
      if (event) results.push(event);
      else dropped += 1;
    }
    return { results, droppedOperations: dropped };
  });
}

/** Applies one planned change inside the transaction; undefined when it no longer applies. */
async function applyChange(
  tx: StorageTransaction,
  input: InferAddInput,
  change: PlannedChange,
  vector: Float32Array | undefined,
  observedAt: number,
  messageIds: number[],
): Promise<MemoryEvent | undefined> {
  if (change.event === 'ADD') return storeNewFact(tx, input, { ...change, vector: vector as Float32Array }, observedAt, messageIds);
  // The model saw a version; if another writer changed the memory since, its decision no longer applies.
  const current = await tx.memory(change.target.id);
  if (!current || current.version !== change.target.version) return undefined;
  if (change.event === 'NONE') return { id: current.id, memory: current.memory, event: 'NONE' };
  if (change.event === 'DELETE') {
    await tx.closeMemory(current.id, input.now, 'llm', undefined, observedAt);
    return { id: current.id, memory: current.memory, event: 'DELETE' };
  }
  const elsewhere = await tx.currentMemoryByHash(input.scope, change.hash);
  if (elsewhere && elsewhere.id !== current.id) {
    // The new text is already another memory: this one is superseded by it.
    await tx.closeMemory(current.id, input.now, 'llm', `superseded by ${elsewhere.id}`, observedAt);
    return { id: current.id, memory: current.memory, event: 'DELETE' };
  }
  const revised = (await tx.reviseMemory(
    current.id,
    { text: change.text, hash: change.hash, metadata: current.metadata, embedding: vector, validFrom: observedAt, source: { messageIds } },
    input.now,
    'llm',
  )) as MemoryItem;
  return { id: revised.id, memory: revised.memory, event: 'UPDATE', previousMemory: current.memory };
}

/**
 * Stores a fact the model stated, unless exactly this scope already holds the
 * same text (then NONE, with the memory that says it). Only an exact match may
 * overrule the model: a near match ("tortoise named Uma" after "tortoise named
 * Rosa") may be a contradiction, and the model saw it among its candidates.
 * Call inside the write transaction.
 */
export async function storeNewFact(
  tx: StorageTransaction,
  input: InferAddInput,
  fact: { text: string; hash: string; kind: MemoryKind; vector: Float32Array },
  observedAt: number,
  messageIds: number[],
): Promise<MemoryEvent> {
  const known = await tx.currentMemoryByHash(input.scope, fact.hash);
  if (known) return { id: known.id, memory: known.memory, event: 'NONE' };
  const item = await tx.insertMemory(
    {
      id: newId(input.now),
      text: fact.text,
      hash: fact.hash,
      kind: fact.kind,
      scope: input.scope,
      metadata: input.metadata,
      validFrom: observedAt,
      source: { messageIds },
      embedding: fact.vector,
    },
    input.now,
    'llm',
  );
  return { id: item.id, memory: item.memory, event: 'ADD' };
}

/** The nearest current memories of exactly this scope to any of the new messages, renamed "0", "1", …. */
async function findCandidates(tx: StorageTransaction, messageVectors: Float32Array[], scope: Scope): Promise<Candidate[]> {
  const best = new Map<string, { item: MemoryItem; cosine: number }>();
  for (const vector of messageVectors) {
    for (const hit of await tx.nearest(vector, MAX_CANDIDATES, scope, { exactScope: true })) {
      const seen = best.get(hit.item.id);
      if (!seen || hit.cosine > seen.cosine) best.set(hit.item.id, hit);
    }
  }
  return [...best.values()]
    .sort((a, b) => b.cosine - a.cosine)
    .slice(0, MAX_CANDIDATES)
    .map(({ item }, i) => ({ alias: String(i), item }));
}

/** Appends the add's messages to the scope's log; returns their ids. */
export function logMessages(tx: StorageTransaction, input: InferAddInput): Promise<number[]> {
  return tx.appendMessages(
    input.scope,
    input.messages.map((m) => ({ role: m.role, name: m.name ?? null, content: m.content, createdAt: toEpochMs(m.createdAt) ?? input.now })),
    input.now,
  );
}

/** When the facts were observed: the newest message date, or now. */
export function observationTime(messages: readonly Message[], now: number): number {
  const dated = messages.map((m) => toEpochMs(m.createdAt)).filter((t): t is number => t !== undefined);
  return dated.length > 0 ? Math.max(...dated) : now;
}

/** Calls the model; any failure that is not already an EngramError becomes LLM_FAILED. */
export async function callLlm(llm: Llm, request: LlmRequest): Promise<string> {
  try {
    const raw = await llm.complete(request);
    if (typeof raw !== 'string') throw new EngramError('LLM_OUTPUT_INVALID', `the LLM ${llm.id} returned ${typeof raw}, not text; nothing was stored`);
    return raw;
  } catch (error) {
    if (error instanceof EngramError) throw error;
    throw new EngramError('LLM_FAILED', `the LLM ${llm.id} failed: ${String(error)}; nothing was stored`, { cause: error });
  }
}

