import { LIMITS } from '../limits.js';
import type { MemoryItem, MemoryKind } from '../schema.js';
import { cleanText, textHash } from '../text-hash.js';
import { MAX_CATEGORIES_PER_FACT, type Operation, type StatedRelation } from './operations.js';

/** A current memory shown to the model under a small alias ("0", "1", …) instead of its id. */
export type Candidate = { alias: string; item: MemoryItem };

export type PlannedChange =
  | { event: 'ADD'; text: string; hash: string; kind: MemoryKind; relations: StatedRelation[]; categories: string[]; importance?: number | undefined }
  | { event: 'UPDATE'; target: MemoryItem; text: string; hash: string; relations: StatedRelation[]; categories: string[]; importance?: number | undefined }
  | { event: 'DELETE'; target: MemoryItem }
  | { event: 'NONE'; target: MemoryItem };

export type Plan = { changes: PlannedChange[]; dropped: number };

/**
 * Turns the model's operations into changes Engram is willing to make:
 * ids that are not candidate aliases are dropped (the model cannot touch a
 * memory it was not shown), each candidate is changed at most once, texts are
 * cleaned, empty or oversized texts are dropped, an ADD repeating a candidate
 * or an earlier ADD becomes NONE, and an UPDATE that changes nothing is NONE.
 */
export function planChanges(operations: readonly Operation[], candidates: readonly Candidate[], categories: readonly string[] = []): Plan {
  // Only the policy's category names, each once, at most MAX_CATEGORIES_PER_FACT: the grammar says so, but a model (or a script) may not.
  const known = new Set(categories);
  const filed = (op: Operation) => [...new Set((op.categories ?? []).map((c) => c.trim()).filter((c) => known.has(c)))].slice(0, MAX_CATEGORIES_PER_FACT);
  // A rating on the scale, rounded into it; anything else (a string, NaN) is no rating. Only a contract that asks for one keeps it.
  const rated = (op: Operation) => (typeof op.importance === 'number' && Number.isFinite(op.importance) ? Math.min(5, Math.max(1, Math.round(op.importance))) : undefined);
  const byAlias = new Map(candidates.map((c) => [c.alias, c.item]));
  const candidateByHash = new Map(candidates.map((c) => [c.item.hash, c.item]));
  const touched = new Set<string>();
  const addedHashes = new Set<string>();
  const changes: PlannedChange[] = [];
  let dropped = 0;

  for (const op of operations) {
    if (op.event === 'ADD') {
      const text = usableText(op.text);
      if (!text) {
        dropped += 1;
        continue;
      }
      const hash = textHash(text);
      const known = candidateByHash.get(hash);
      if (known) {
        if (!touched.has(known.id)) changes.push({ event: 'NONE', target: known });
        touched.add(known.id);
      } else if (!addedHashes.has(hash)) {
        addedHashes.add(hash);
        changes.push({ event: 'ADD', text, hash, kind: op.kind, relations: 'relations' in op ? op.relations : [], categories: filed(op), importance: rated(op) });
      }
      continue;
    }
    const target = byAlias.get(op.id.trim());
    if (!target || touched.has(target.id)) {
      dropped += 1;
      continue;
    }
    touched.add(target.id);
    if (op.event === 'UPDATE') {
      const text = usableText(op.text);
      if (!text) {
        dropped += 1;
        continue;
      }
      const hash = textHash(text);
      if (text === target.memory) changes.push({ event: 'NONE', target });
      else changes.push({ event: 'UPDATE', target, text, hash, relations: 'relations' in op ? op.relations : [], categories: filed(op), importance: rated(op) });
    } else {
      changes.push({ event: op.event, target });
    }
  }
  return { changes, dropped };
}

/** A model-written text as it would be stored, or undefined when it cannot be (empty, too long, NUL, broken UTF-16). */
export function usableText(raw: string): string | undefined {
  const text = cleanText(raw);
  if (text.length === 0 || text.length > LIMITS.maxTextLength || text.includes('\u0000') || !text.isWellFormed()) return undefined;
  return text;
}
