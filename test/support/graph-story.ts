import type { LlmRequest, Memory } from 'engram-memory';
import { ops, ScriptedLlm } from './scripted-llm.js';

/**
 * A small entity graph, through the public API with a scripted LLM, for the
 * front-end tests (CLI, REST, MCP):
 * - alice works at Acme from 2025-01-10, then (2025-06-01) at Beta Labs: the Acme relation is retired;
 * - her sister Anna lives in Porto; she sees "Bobby" and "Robert Jones", one person kept twice;
 * - bob works at Acme too (his own Acme).
 */

const said = (content: string, day: string) => [{ role: 'user' as const, content, createdAt: `${day}T10:00:00Z` }];
const rel = (source: string, relation: string, target: string) => ({ source, relation, target });

/** The alias the prompt shows for the memory whose text starts with `text` (candidates are listed as "<alias>. <text>"). */
function aliasOf(request: LlmRequest, text: string): string {
  const alias = new RegExp(`(\\d+)\\. ${text}`).exec(request.messages.at(-1)?.content ?? '')?.[1];
  if (alias === undefined) throw new Error(`the prompt does not show "${text}"`);
  return alias;
}

/** The LLM's answers for seedGraphStory, in order. */
export function graphStoryLlm(): ScriptedLlm {
  return new ScriptedLlm(
    ops(
      { event: 'ADD', text: 'Works at Acme', kind: 'semantic', relations: [rel('I', 'works_at', 'Acme')] },
      { event: 'ADD', text: 'Her sister Anna lives in Porto', kind: 'semantic', relations: [rel('I', 'sister_of', 'Anna'), rel('Anna', 'lives_in', 'Porto')] },
      { event: 'ADD', text: 'Sees Bobby and Robert Jones on Fridays', kind: 'semantic', relations: [rel('I', 'sees', 'Bobby'), rel('I', 'sees', 'Robert Jones')] },
    ),
    (request) => ops({ event: 'UPDATE', id: aliasOf(request, 'Works at Acme'), text: 'Works at Beta Labs', relations: [rel('I', 'works_at', 'Beta Labs')] }),
    ops({ event: 'ADD', text: 'Works at Acme', kind: 'semantic', relations: [rel('I', 'works_at', 'Acme')] }),
  );
}

/** Plays the story into `memory` (opened with `graph: true` and `graphStoryLlm()`). */
export async function seedGraphStory(memory: Memory): Promise<void> {
  await memory.add(said('I work at Acme. My sister Anna lives in Porto. I see Bobby and Robert Jones on Fridays.', '2025-01-10'), { userId: 'alice' });
  await memory.add(said('I left Acme, I am at Beta Labs now.', '2025-06-01'), { userId: 'alice' });
  await memory.add(said('I work at Acme too.', '2025-01-10'), { userId: 'bob' });
}

/** An entity's id by name, in a scope. */
export async function entityId(memory: Memory, userId: string, name: string): Promise<string> {
  const found = (await memory.graph.entities({ userId })).results.find((e) => e.name === name);
  if (!found) throw new Error(`no entity "${name}" for ${userId}`);
  return found.id;
}
