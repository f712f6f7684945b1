import type { Memory, MemoryEvent, Scope, ScoredMemory } from '../index.js';

type Out = (line: string) => void;

/**
 * Part one of `engram demo`: a short scripted session through the public API,
 * with messages stored as said (no LLM): store, deduplicate, search by meaning
 * inside a user's scope, correct, delete, and audit.
 */
export async function runStoredAsSaidDemo(memory: Memory, out: Out): Promise<void> {
  const alice: Scope = { userId: 'alice' };

  out('\n1. Alice talks to her health companion (stored as said: infer: false, no LLM yet)');
  const first = await memory.add(
    [
      { role: 'user', content: 'I am allergic to penicillin.', createdAt: '2026-11-20T09:00:00Z' },
      { role: 'user', content: 'I take metformin 500 mg twice a day.', createdAt: '2026-11-20T09:01:00Z' },
      { role: 'user', content: 'I drink two cups of coffee every morning.', createdAt: '2026-11-20T09:02:00Z' },
      { role: 'user', content: 'My daughter Mia plays the violin.', createdAt: '2026-11-20T09:03:00Z' },
    ],
    { ...alice, infer: false, metadata: { channel: 'chat' } },
  );
  printEvents(first.results, out);

  out('\n2. Bob uses the same assistant; his memories live in his own scope');
  printEvents((await memory.add('I am allergic to peanuts.', { userId: 'bob', infer: false })).results, out);

  out('\n3. Alice repeats herself: nothing is stored twice');
  printEvents((await memory.add('i am allergic to penicillin', { ...alice, infer: false })).results, out);

  out('\n4. Search Alice’s memories by meaning');
  await printSearch(memory, 'Which antibiotics must the doctor avoid?', alice, out);
  await printSearch(memory, 'What does her child do for music?', alice, out);

  out('\n5. Alice switches to tea: the memory is corrected, and history keeps the old text');
  const coffee = first.results[2] as MemoryEvent;
  await memory.update(coffee.id, 'I switched from coffee to green tea in the mornings.');
  for (const entry of await memory.history(coffee.id)) {
    out(`   ${entry.event.padEnd(6)} ${entry.oldMemory ? `"${entry.oldMemory}" → ` : ''}"${entry.newMemory ?? ''}"`);
  }

  out('\n6. Alice asks to forget the medication: gone from search, kept in the audit trail');
  const metformin = first.results[1] as MemoryEvent;
  await memory.delete(metformin.id);
  await printSearch(memory, 'medication dose', alice, out);
  out(`   history: ${(await memory.history(metformin.id)).map((h) => h.event).join(' → ')}`);

  out('\n7. What Engram now knows about Alice');
  for (const item of (await memory.getAll(alice)).results) out(`   - ${item.memory}  (since ${item.validFrom.slice(0, 10)})`);
}

function printEvents(events: MemoryEvent[], out: Out): void {
  for (const e of events) out(`   ${e.event.padEnd(4)} ${e.memory}`);
}

async function printSearch(memory: Memory, query: string, scope: Scope, out: Out): Promise<void> {
  out(`   search "${query}"`);
  const { results } = await memory.search(query, { ...scope, limit: 3 });
  results.forEach((r: ScoredMemory) => out(`     ${r.score.toFixed(2)}  ${r.memory}`));
}
