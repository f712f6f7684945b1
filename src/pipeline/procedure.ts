import { embedChecked } from '../embed/embedder.js';
import { EngramError } from '../errors.js';
import { textHash } from '../text-hash.js';
import { usableText } from './reconcile.js';
import { callLlm, logMessages, observationTime, storeNewFact, type AddOutcome, type InferAddInput, type InferDeps } from './infer-add.js';
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
  // The same checks as every inferred fact: what is stored must also export and import.
  const text = usableText(parseModelOutput(raw, ProcedureSchema, deps.llm.id).memory);
  if (text === undefined) return log(deps, input, { results: [], droppedOperations: 1 });
  const [vector] = await embedChecked(deps.embedder, [text]);
  const hash = textHash(text);

  return deps.storage.transaction('write', 'storing a procedural memory', async (tx) => {
    const messageIds = await logMessages(tx, input);
    const event = await storeNewFact(tx, input, { text, hash, kind: 'procedural', vector: vector as Float32Array }, observedAt, messageIds);
    return { results: [event], droppedOperations: 0 };
  });
}

async function log(deps: InferDeps, input: InferAddInput, outcome: AddOutcome): Promise<AddOutcome> {
  await deps.storage.transaction('write', 'logging messages', (tx) => logMessages(tx, input));
  return outcome;
}
