import { embedChecked } from '../embed/embedder.js';
import { EngramError } from '../errors.js';
import type { JobResult } from '../storage/job-records.js';
import { textHash } from '../text-hash.js';
import { usableText } from './reconcile.js';
import { observationTime, type CommitExtraction, type Extraction } from './extraction.js';
import { callLlm, storeNewFact, type InferDeps } from './infer-add.js';
import { PROCEDURE_JSON_SCHEMA, ProcedureSchema, parseModelOutput } from './operations.js';
import { procedurePrompt } from './prompts.js';
import { compileDenyList } from './deny-rules.js';
import { effectivePolicy } from './store-policy.js';
import { expiryRule } from './expiry.js';

/**
 * `add(messages, { agentId, kind: 'procedural' })`: one LLM call summarizes an
 * agent's run (goal, steps, tools, outcome) into one procedural memory, so the
 * agent can do it again next time. A summary already known is NONE. One run
 * per call: procedures are never batched.
 */
export async function summarizeProcedure(deps: InferDeps, input: Extraction, commit: CommitExtraction): Promise<Map<string, JobResult>> {
  const job = input.jobs[0];
  if (input.jobs.length !== 1 || !job) throw new Error('a procedure is summarized one run at a time');
  if (input.scope.agentId === undefined) {
    throw new EngramError('INVALID_INPUT', "procedural memories belong to an agent: pass agentId with kind: 'procedural'");
  }
  const spoken = job.messages.filter((m) => m.role !== 'system');
  const finish = (droppedOperations: number) =>
    deps.storage.transaction('write', 'finishing a queued add', async (tx) => {
      const results = new Map<string, JobResult>([[job.id, { results: [], droppedOperations }]]);
      await commit(tx, results);
      return results;
    });
  if (spoken.length === 0) return finish(0);
  const observedAt = observationTime(job);
  const prompt = procedurePrompt({
    observedAt: new Date(observedAt),
    messages: spoken.map((m) => ({ role: m.role === 'user' ? 'user' : 'assistant', content: m.content, name: m.name ?? undefined })),
  });
  const raw = await callLlm(deps.llm, { messages: prompt, schema: PROCEDURE_JSON_SCHEMA });
  // The same checks as every inferred fact: what is stored must also export and import.
  const stated = usableText(parseModelOutput(raw, ProcedureSchema, deps.llm.id).memory);
  if (stated === undefined) return finish(1);
  // A run's summary is one memory: what breaks the store's deny rules is redacted from it rather than losing the whole procedure.
  const policy = await deps.storage.transaction('read', 'reading the policy', (tx) => effectivePolicy(tx, input.scope));
  const text = usableText(compileDenyList(policy).redact(stated).text);
  if (text === undefined) return finish(1);
  const [vector] = await embedChecked(deps.embedder, [text]);
  const hash = textHash(text);
  const source = { messageIds: job.messages.map((m) => m.id), jobId: job.id };
  return deps.storage.transaction('write', 'storing a procedural memory', async (tx) => {
    const context = { scope: input.scope, metadata: input.metadata, now: input.now, expiry: expiryRule(input.expiresAt, policy) };
    const event = await storeNewFact(tx, context, { text, hash, kind: 'procedural', vector: vector as Float32Array }, observedAt, source);
    // Built inside the transaction attempt: an engine may run a write again after a conflict.
    const results = new Map<string, JobResult>([[job.id, { results: [event], droppedOperations: 0 }]]);
    await commit(tx, results);
    return results;
  });
}
