import { embedChecked } from '../embed/embedder.js';
import { EngramError } from '../errors.js';
import { newId } from '../ids.js';
import { cleanText, textHash } from '../text-hash.js';
import { callLlm, logMessages, observationTime, type AddOutcome, type InferAddInput, type InferDeps } from './infer-add.js';
import { PROCEDURE_JSON_SCHEMA, ProcedureSchema, parseModelOutput } from './operations.js';
import { procedurePrompt } from './prompts.js';

/**
 * `add(messages, { agentId, kind: 'procedural' })`: one LLM call summarizes an
 * agent's run (goal, steps, tools, outcome) into one procedural memory, so the
 * agent can do it again next time. A summary already known is NONE.
 */
export async function addProcedure(deps: InferDeps, input: InferAddInput): Promise<AddOutcome> {
  if (input.scope.agentId === undefined) {
    throw new EngramError('INVALID_INPUT', "procedural memories belong to an agent: pass agentId with kind: 'procedural'");
  }
  const spoken = input.messages.filter((m) => m.role !== 'system');
  const observedAt = observationTime(input.messages, input.now);
  const prompt = procedurePrompt({
    observedAt: new Date(observedAt),
    messages: spoken.map((m) => ({ role: m.role === 'user' ? 'user' : 'assistant', content: m.content, name: m.name })),
  });
  const raw = await callLlm(deps.llm, { messages: prompt, schema: PROCEDURE_JSON_SCHEMA });
  const text = cleanText(parseModelOutput(raw, ProcedureSchema, deps.llm.id).memory);
  if (text.length === 0) return log(deps, input, { results: [], droppedOperations: 1 });
  const [vector] = await embedChecked(deps.embedder, [text]);
  const hash = textHash(text);

  return deps.store.write(() => {
    const messageIds = logMessages(deps.store, input);
    const known = deps.store.currentMemoryByHash(input.scope, hash);
    const [near] = known ? [] : deps.store.nearest(vector as Float32Array, 1, input.scope, { exactScope: true });
    const similar = near && 1 - near.distance >= deps.nearDuplicate ? deps.store.resolveHits([near])[0]?.item : undefined;
    const existing = known ?? similar;
    if (existing) return { results: [{ id: existing.id, memory: existing.memory, event: 'NONE' as const }], droppedOperations: 0 };
    const item = deps.store.insertMemory(
      {
        id: newId(input.now),
        text,
        hash,
        kind: 'procedural',
        scope: input.scope,
        metadata: input.metadata,
        validFrom: observedAt,
        source: { messageIds },
        embedding: vector as Float32Array,
      },
      input.now,
      'llm',
    );
    return { results: [{ id: item.id, memory: item.memory, event: 'ADD' as const }], droppedOperations: 0 };
  }, 'storing a procedural memory');
}

function log(deps: InferDeps, input: InferAddInput, outcome: AddOutcome): AddOutcome {
  deps.store.write(() => logMessages(deps.store, input), 'logging messages');
  return outcome;
}
