import { embedChecked, type Embedder } from '../embed/embedder.js';
import { EngramError } from '../errors.js';
import { newId } from '../ids.js';
import type { Llm, LlmRequest } from '../llm/llm.js';
import { MetadataSchema, type MemoryEvent, type MemoryItem, type MemoryKind, type Scope } from '../schema.js';
import type { JobResult } from '../storage/job-records.js';
import type { StorageTransaction, Storage, StoredMessage } from '../storage/storage.js';
import { cleanText } from '../text-hash.js';
import { observationTime, type CommitExtraction, type Extraction } from './extraction.js';
import { GraphWriter } from './graph/graph-writer.js';
import { answerContract, parseModelOutput } from './operations.js';
import { categoriesOf } from '../policy.js';
import { reconcilePrompt, type PromptMessage } from './prompts.js';
import { planChanges, type Candidate, type Plan, type PlannedChange } from './reconcile.js';
import { compileDenyList, type DenyList } from './deny-rules.js';
import { effectivePolicy } from './store-policy.js';
import { expiryFor, expiryRule, type ExpiryRule } from './expiry.js';

export type InferDeps = {
  storage: Storage;
  embedder: Embedder;
  llm: Llm;
  /** Keep the entity graph: ask for relations in the same call, record entities and relations with the memories. */
  graph: boolean;
};

/** The part of an extraction a change is applied with. */
export type ApplyContext = { scope: Scope; metadata: Record<string, unknown>; now: number; expiry: ExpiryRule };

/** Current memories shown to the model, best match first. */
const MAX_CANDIDATES = 10;
/** Logged messages of the scope shown as context. */
const EARLIER_MESSAGES = 4;

type Spoken = StoredMessage & { role: 'user' | 'assistant'; job: number };

/**
 * Extraction with inference: one LLM call decides, for the new messages of
 * one or more queued adds of a scope, which facts to ADD and which existing
 * memories to UPDATE, DELETE or leave (NONE); then everything lands in one
 * transaction, with `commit`. Models run before the transaction; the
 * transaction re-checks what they saw.
 */
export async function extractFacts(deps: InferDeps, input: Extraction, commit: CommitExtraction): Promise<Map<string, JobResult>> {
  const spoken: Spoken[] = input.jobs.flatMap((job, index) =>
    job.messages.flatMap((m) => (m.role === 'system' ? [] : [{ ...m, role: m.role, job: index }])),
  );
  // Built inside each transaction attempt: an engine may run a write again after a conflict.
  const emptyResults = () => new Map(input.jobs.map((job): [string, JobResult] => [job.id, { results: [], droppedOperations: 0 }]));
  if (spoken.length === 0) {
    return deps.storage.transaction('write', 'finishing queued adds', async (tx) => {
      const results = emptyResults();
      await commit(tx, results);
      return results;
    });
  }
  const observedAt = input.jobs.map(observationTime);
  const messageVectors = await embedChecked(
    deps.embedder,
    spoken.map((m) => cleanText(m.content)),
  );
  const firstMessage = Math.min(...input.jobs.flatMap((j) => j.messages.map((m) => m.id)));
  const { candidates, earlier, policy } = await deps.storage.transaction('read', 'gathering context', async (tx) => ({
    candidates: await findCandidates(tx, messageVectors, input.scope),
    earlier: await tx.recentMessages(input.scope, EARLIER_MESSAGES, firstMessage),
    policy: await effectivePolicy(tx, input.scope),
  }));
  const spansDays = new Set(spoken.map((m) => dayOf(m.createdAt))).size > 1;
  const prompt = reconcilePrompt({
    graph: deps.graph,
    policy,
    observedAt: new Date(Math.max(...observedAt)),
    candidates: candidates.map((c) => ({ alias: c.alias, text: c.item.memory })),
    earlier: earlier.flatMap((m): PromptMessage[] => (m.role === 'system' ? [] : [{ role: m.role, content: m.content, name: m.name ?? undefined }])),
    messages: spoken.map((m) => ({ role: m.role, content: m.content, name: m.name ?? undefined, ...(spansDays ? { date: new Date(m.createdAt) } : {}) })),
  });
  const categories = categoriesOf(policy).map((c) => c.name);
  const rating = policy?.importance === true;
  const contract = answerContract(deps.graph, categories, rating);
  const raw = await callLlm(deps.llm, { messages: prompt, schema: contract.json });
  const { operations } = parseModelOutput(raw, contract.schema, deps.llm.id);
  const plan = withoutDenied(planChanges(operations, candidates, categories), compileDenyList(policy));

  const written = plan.changes.filter((c): c is Extract<PlannedChange, { text: string }> => 'text' in c);
  const vectors = await embedChecked(
    deps.embedder,
    written.map((c) => c.text),
  );
  const vectorOf = new Map(written.map((c, i) => [c as PlannedChange, vectors[i] as Float32Array]));
  const graphWriter = deps.graph ? await GraphWriter.prepare(deps.embedder, written) : undefined;
  const factOf = new Map(written.map((c, i) => [c as PlannedChange, i]));
  const jobOf = (change: PlannedChange): number => {
    if (input.jobs.length === 1) return 0;
    const vector = vectorOf.get(change);
    if (vector) return (spoken[nearest(vector, messageVectors)] as Spoken).job;
    const found = candidates.find((c) => c.item.id === (change as { target: MemoryItem }).target.id) as Candidate & { message: number };
    return (spoken[found.message] as Spoken).job;
  };

  return deps.storage.transaction('write', 'storing inferred memories', async (tx) => {
    const context: ApplyContext = { scope: input.scope, metadata: input.metadata, now: input.now, expiry: expiryRule(input.expiresAt, policy) };
    const results = emptyResults();
    let dropped = plan.dropped + (graphWriter?.dropped ?? 0);
    const graph = graphWriter?.in(tx, input.scope, input.now);
    for (const change of plan.changes) {
      const index = jobOf(change);
      const job = input.jobs[index] as Extraction['jobs'][number];
      const source = { messageIds: job.messages.map((m) => m.id), jobId: job.id };
      const event = await applyChange(tx, context, change, vectorOf.get(change), observedAt[index] as number, source);
      if (event) (results.get(job.id) as JobResult).results.push(event);
      else dropped += 1;
      if (!graph || !event) continue;
      // Relations follow their memory: stated with it, changed with it, retired with it.
      if ((event.event === 'ADD' || event.event === 'UPDATE') && event.event === change.event) {
        await graph.record(event.id, factOf.get(change) as number, observedAt[index] as number, source.messageIds);
      } else if (event.event === 'DELETE') {
        await graph.retire(event.id, observedAt[index] as number);
      }
    }
    dropped += graph?.dropped ?? 0;
    // A refused operation names no message: the batch's last add reports it.
    (results.get((input.jobs.at(-1) as { id: string }).id) as JobResult).droppedOperations = dropped;
    await commit(tx, results);
    return results;
  });
}

/**
 * Drops the ADDs and UPDATEs whose text breaks the store's deny rules, and
 * the relations naming what breaks one (entity names are stored too): the
 * messages were redacted before the model saw them, but a model can still
 * write a number out (or make one up). Counted as dropped operations.
 */
function withoutDenied(plan: Plan, deny: DenyList): Plan {
  let dropped = plan.dropped;
  const changes: PlannedChange[] = [];
  for (const change of plan.changes) {
    if (!('text' in change)) changes.push(change);
    else if (deny.breaks(change.text) !== undefined) dropped += 1;
    else {
      const relations = change.relations.filter((r) => [r.source, r.relation, r.target].every((part) => deny.breaks(part) === undefined));
      dropped += change.relations.length - relations.length;
      changes.push({ ...change, relations });
    }
  }
  return { changes, dropped };
}

/**
 * The metadata with the fact's categories as `categories` and the model's
 * rating as `importance` (when the policy asks for them; replacing any
 * there). Left as it was when there are none, or when one more key would
 * break the metadata limits (64 keys, 16 KiB): what is stored must export and import.
 */
function filedUnder(metadata: Record<string, unknown>, change: { categories: readonly string[]; importance?: number | undefined }): Record<string, unknown> {
  const filed = { ...metadata };
  if (change.categories.length > 0) filed.categories = [...change.categories];
  if (change.importance !== undefined) filed.importance = change.importance;
  return MetadataSchema.safeParse(filed).success ? filed : metadata;
}

/** Applies one planned change inside the transaction; undefined when it no longer applies. */
async function applyChange(
  tx: StorageTransaction,
  input: ApplyContext,
  change: PlannedChange,
  vector: Float32Array | undefined,
  observedAt: number,
  source: Provenance,
): Promise<MemoryEvent | undefined> {
  if (change.event === 'ADD') {
    return storeNewFact(tx, { ...input, metadata: filedUnder(input.metadata, change) }, { ...change, vector: vector as Float32Array }, observedAt, source);
  }
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
    {
      text: change.text,
      hash: change.hash,
      // Filed again with the new text's categories, when the store asks for them.
      metadata: filedUnder(current.metadata, change),
      embedding: vector,
      validFrom: observedAt,
      source,
      expiresAt: expiryFor(input.expiry, current.kind, input.scope, input.now),
    },
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
  input: ApplyContext,
  fact: { text: string; hash: string; kind: MemoryKind; vector: Float32Array },
  observedAt: number,
  source: Provenance,
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
      source,
      embedding: fact.vector,
      expiresAt: expiryFor(input.expiry, fact.kind, input.scope, input.now) ?? null,
    },
    input.now,
    'llm',
  );
  return { id: item.id, memory: item.memory, event: 'ADD' };
}

/**
 * The nearest current memories of exactly this scope to any of the new
 * messages, renamed "0", "1", …, each with the message it is nearest to.
 */
async function findCandidates(tx: StorageTransaction, messageVectors: Float32Array[], scope: Scope): Promise<(Candidate & { message: number })[]> {
  const best = new Map<string, { item: MemoryItem; cosine: number; message: number }>();
  for (const [message, vector] of messageVectors.entries()) {
    for (const hit of await tx.nearest(vector, MAX_CANDIDATES, scope, { exactScope: true })) {
      const seen = best.get(hit.item.id);
      if (!seen || hit.cosine > seen.cosine) best.set(hit.item.id, { ...hit, message });
    }
  }
  return [...best.values()]
    .sort((a, b) => b.cosine - a.cosine)
    .slice(0, MAX_CANDIDATES)
    .map(({ item, message }, i) => ({ alias: String(i), item, message }));
}

/** Where a memory came from: the messages of the add, and its job. */
export type Provenance = { messageIds: number[]; jobId: string };

/** The index of the vector most similar (by cosine) to `vector`. */
function nearest(vector: Float32Array, among: readonly Float32Array[]): number {
  let best = 0;
  let bestScore = -Infinity;
  among.forEach((other, index) => {
    let dot = 0;
    let norm = 0;
    for (let i = 0; i < vector.length; i += 1) {
      dot += (vector[i] as number) * (other[i] as number);
      norm += (other[i] as number) ** 2;
    }
    const score = dot / Math.sqrt(norm || 1);
    if (score > bestScore) {
      bestScore = score;
      best = index;
    }
  });
  return best;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
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

