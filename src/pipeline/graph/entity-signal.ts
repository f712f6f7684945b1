import { extractEntityMentions, normalizeEntityName } from '../../graph/entity-linker.js';
import type { Scope } from '../../schema.js';
import type { EntityRecord, RelationRecord } from '../../storage/graph-records.js';
import type { Storage, StorageTransaction } from '../../storage/storage.js';
import { embedChecked, type Embedder } from '../../embed/embedder.js';
import { closestByName } from './entity-resolver.js';

/** How search uses the graph: the entity signal's weight in the score, and how many relations away it looks. */
export type GraphSearch = { weight: number; depth: number };

/** A neighbour `d` relations away counts this share of an entity named in the query, per hop. */
const NEIGHBOUR_SHARE = 0.5;

/** The entities of a scope a query names, with the share each counts for (1 when named, less for a neighbour), and the relations walked. */
export type QueryEntities = { share: Map<string, number>; relations: RelationRecord[] };

/** A name the linker found in a query: as written (for its vector) and normalized (for matching). */
export type QueryName = { name: string; key: string };

/**
 * The entities a query names, in a scope: each name the linker found matched
 * to the scope's entities by normalized name or alias, else by the vector of
 * the name as the resolver merges names (close vectors, agreeing capitals:
 * "Acme Corp" finds "Acme Corporation"); then, to `depth` relations away, their
 * neighbours, each hop counting half as much. The scope's user never counts:
 * nearly every memory of a user is about them. (Also matching entity names
 * that merely stand in the query as words made LoCoMo multi-hop recall worse,
 * 0.415 → 0.384: lower-case words the linker once took for names.)
 */
export async function queryEntities(
  storage: Storage,
  embedder: Embedder,
  names: readonly QueryName[],
  scope: Scope,
  depth: number,
  at?: number,
): Promise<QueryEntities> {
  const none: QueryEntities = { share: new Map(), relations: [] };
  if (names.length === 0) return none;
  const entities = (await storage.transaction('read', 'reading the graph', (tx) => tx.entities(scope))).filter((e) => e.type !== 'user');
  if (entities.length === 0) return none;
  const share = new Map<string, number>();
  const unmatched: QueryName[] = [];
  for (const name of names) {
    const hits = entities.filter((e) => keysOf(e).includes(name.key));
    for (const hit of hits) share.set(hit.id, 1);
    if (hits.length === 0) unmatched.push(name);
  }
  if (unmatched.length > 0) {
    // Embedded only when a name is not known as written: most queries name entities as stored.
    // As documents, though they come from a query: a name is compared with stored names, embedded as documents.
    const vectors = await embedChecked(
      embedder,
      unmatched.map((n) => n.name),
    );
    unmatched.forEach((name, i) => {
      const match = closestByName(name.name, vectors[i] as Float32Array, entities);
      if (match) share.set(match.id, 1);
    });
  }
  if (share.size === 0) return none;
  return storage.transaction('read', 'reading the graph', async (tx) => {
    const walked = new Map<string, RelationRecord>();
    let frontier = [...share.keys()];
    for (let hop = 1; hop <= depth && frontier.length > 0; hop++) {
      const next: string[] = [];
      for (const id of frontier) {
        for (const relation of await tx.relations(scope, { entityId: id, at })) {
          walked.set(relation.id, relation);
          for (const other of [relation.sourceId, relation.targetId]) {
            if (share.has(other)) continue;
            share.set(other, NEIGHBOUR_SHARE ** hop);
            next.push(other);
          }
        }
      }
      frontier = next;
    }
    // Neighbours reached through relations may be the user: not a signal.
    const users = new Set((await tx.entitiesById([...share.keys()])).filter((e) => e.type === 'user').map((e) => e.id));
    for (const id of users) share.delete(id);
    return { share, relations: [...walked.values()] };
  });
}

/**
 * The entity signal of each memory, in [0, 1]: the rarity-weighted share of
 * the query's entities it names, Σ share(e)·idf(e) over the entities it names
 * divided by the same sum over all of them, with idf(e) = ln(N / df) / ln(N)
 * over the scope's N current memories (an entity most memories name, like a
 * conversation's speaker, tells little). Measured on LoCoMo with the CI
 * embedder (scripts/experiments/graph-signal.ts): dividing by the query's total
 * matters; without it a speaker's low idf drowns the signal.
 */
export async function entitySignal(tx: StorageTransaction, scope: Scope, query: QueryEntities, memoryIds: readonly string[]): Promise<Map<string, number>> {
  const signal = new Map<string, number>();
  const entities = query.share;
  if (entities.size === 0 || memoryIds.length === 0) return signal;
  // One after another: a transaction is one connection.
  const frequency = await tx.mentionCounts([...entities.keys()]);
  const total = await tx.countCurrent(scope);
  const named = await tx.mentions(memoryIds);
  const idf = (id: string): number => {
    const df = frequency.get(id) ?? 0;
    if (df === 0) return 0;
    return total <= 1 ? 1 : Math.max(0, Math.log(total / df) / Math.log(total));
  };
  const weight = new Map([...entities].map(([id, share]) => [id, share * idf(id)]));
  const whole = [...weight.values()].reduce((a, b) => a + b, 0);
  if (whole <= 0) return signal;
  for (const memoryId of memoryIds) {
    const own = (named.get(memoryId) ?? []).reduce((sum, id) => sum + (weight.get(id) ?? 0), 0);
    if (own > 0) signal.set(memoryId, Math.min(1, own / whole));
  }
  return signal;
}

/** The names the offline linker finds in a query, each once: none means the graph has nothing to add, and no read is needed. */
export function queryNames(query: string): QueryName[] {
  const byKey = new Map<string, QueryName>();
  for (const { name } of extractEntityMentions(query)) {
    const key = normalizeEntityName(name);
    if (!byKey.has(key)) byKey.set(key, { name, key });
  }
  return [...byKey.values()];
}

function keysOf(entity: EntityRecord): string[] {
  return [entity.key, ...entity.aliases.map(normalizeEntityName)];
}
