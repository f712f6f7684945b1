import { embedChecked, type Embedder } from '../../embed/embedder.js';
import { extractEntityMentions } from '../../graph/entity-linker.js';
import type { Scope } from '../../schema.js';
import type { EntityType } from '../../storage/graph-records.js';
import type { StorageTransaction } from '../../storage/storage.js';
import { MAX_RELATIONS_PER_FACT, type StatedRelation } from '../operations.js';
import { EntityResolver, selfName, usableEntityName } from './entity-resolver.js';
import { relationName } from './relation-name.js';

/**
 * A fact about to be written, with the relations the model stated for it (none for an add without
 * inference) and, for a message stored as said, who said it (a memory is linked to its speaker).
 */
export type GraphFact = { text: string; relations: readonly StatedRelation[]; speaker?: string | undefined };

/** A relation fit to store: names usable, relation named, source and target different names. */
type CleanRelation = { source: string; relation: string; target: string };
/** A fact as the writer applies it: its clean relations, and what the offline linker found named in its text. */
type PreparedFact = { relations: CleanRelation[]; mentions: { name: string; type: EntityType }[] };

/**
 * The graph's part of an extraction. `prepareGraph` runs before the write
 * transaction (it embeds every name the facts hold, and cleans what the model
 * said); `GraphWriter.in(tx)` then records, for each stored memory, the
 * entities it names and the relations it states, in the same transaction as
 * the memory.
 */
export class GraphWriter {
  private constructor(
    private readonly facts: readonly PreparedFact[],
    private readonly vectors: Map<string, Float32Array>,
    private readonly dimension: number,
    /** Relations refused before anything was stored: unusable names, self-loops, beyond the cap. */
    readonly dropped: number,
  ) {}

  static async prepare(embedder: Embedder, facts: readonly GraphFact[]): Promise<GraphWriter> {
    let dropped = 0;
    const cleaned = facts.map((fact): PreparedFact => {
      const relations: CleanRelation[] = [];
      for (const [index, stated] of fact.relations.entries()) {
        const clean = cleanRelation(stated);
        if (!clean || index >= MAX_RELATIONS_PER_FACT || relations.some((r) => sameRelation(r, clean))) dropped += 1;
        else relations.push(clean);
      }
      // A name the text only speaks to ("Thanks, Mel!") is the listener, not what the memory is about.
      const named = extractEntityMentions(fact.text).filter((m) => !m.addressed);
      const speaker = fact.speaker === undefined ? undefined : usableEntityName(fact.speaker);
      const mentions = speaker === undefined ? named : [{ name: speaker, type: 'person' as const }, ...named];
      return { relations, mentions: mentions.map(({ name, type }) => ({ name, type })) };
    });
    const names = [...new Set(cleaned.flatMap((f) => [...f.relations.flatMap((r) => [r.source, r.target]), ...f.mentions.map((m) => m.name)]))].filter(
      (name) => selfName(name) === undefined,
    );
    const embedded = await embedChecked(embedder, names);
    return new GraphWriter(cleaned, new Map(names.map((name, i) => [name, embedded[i] as Float32Array])), embedder.dimension, dropped);
  }

  /** The writer inside one transaction attempt (an engine may run a write again: nothing is kept between attempts). */
  in(tx: StorageTransaction, scope: Scope, now: number): GraphSession {
    return new GraphSession(tx, new EntityResolver(tx, scope, now, this.vectors, this.dimension), this.facts, scope, now);
  }
}

export class GraphSession {
  /** Relations refused while applying: both names turned out to be one entity. */
  dropped = 0;

  constructor(
    private readonly tx: StorageTransaction,
    private readonly resolver: EntityResolver,
    private readonly facts: readonly PreparedFact[],
    private readonly scope: Scope,
    private readonly now: number,
  ) {}

  /**
   * Records what memory `memoryId` (just added, or just revised to fact `index`'s text) names and states.
   * A revised memory's relations that its new text no longer states are retired, ending at `validFrom`.
   */
  async record(memoryId: string, index: number, validFrom: number, messageIds: readonly number[]): Promise<void> {
    const fact = this.facts[index];
    if (!fact) return;
    const mentioned = new Set<string>();
    for (const mention of fact.mentions) {
      const entity = await this.resolver.resolve(mention.name, mention.type);
      if (entity) mentioned.add(entity.id);
    }
    const stated: { sourceId: string; relation: string; targetId: string }[] = [];
    for (const relation of fact.relations) {
      const source = await this.resolver.resolve(relation.source);
      const target = await this.resolver.resolve(relation.target);
      if (!source || !target || source.id === target.id) {
        this.dropped += 1;
        continue;
      }
      mentioned.add(source.id);
      mentioned.add(target.id);
      if (!stated.some((s) => s.sourceId === source.id && s.relation === relation.relation && s.targetId === target.id)) {
        stated.push({ sourceId: source.id, relation: relation.relation, targetId: target.id });
      }
    }
    const own = await this.tx.relations(this.scope, { memoryId });
    for (const old of own) {
      if (!stated.some((s) => s.sourceId === old.sourceId && s.relation === old.relation && s.targetId === old.targetId)) {
        await this.tx.retireRelation(old.id, this.now, validFrom);
      }
    }
    for (const s of stated) {
      // A fact already held (by this memory or another one of the scope) is kept once.
      const current = await this.tx.relations(this.scope, { entityId: s.sourceId });
      if (current.some((r) => r.sourceId === s.sourceId && r.relation === s.relation && r.targetId === s.targetId)) continue;
      await this.tx.insertRelation({
        id: this.resolver.newId(),
        scope: this.scope,
        ...s,
        validFrom,
        validTo: null,
        recordedAt: this.now,
        retiredAt: null,
        memoryId,
        messageIds: [...messageIds],
      });
    }
    await this.tx.setMentions(memoryId, [...mentioned]);
  }

  /** Links memory `memoryId` to the names of fact `index` (added to what it names already); its relations are left as they are. */
  async link(memoryId: string, index: number): Promise<boolean> {
    const fact = this.facts[index];
    if (!fact) return false;
    const named = new Set((await this.tx.mentions([memoryId])).get(memoryId) ?? []);
    const before = named.size;
    for (const mention of fact.mentions) {
      const entity = await this.resolver.resolve(mention.name, mention.type);
      if (entity) named.add(entity.id);
    }
    if (named.size === before) return false;
    await this.tx.setMentions(memoryId, [...named]);
    return true;
  }

  /** Retires the relations memory `memoryId` stated (it was deleted or contradicted): true until `validTo`. */
  async retire(memoryId: string, validTo: number): Promise<void> {
    await retireRelationsOf(this.tx, this.scope, memoryId, this.now, validTo);
  }
}

/** Retires every current relation stated with a memory; they stop being true at `validTo`. */
export async function retireRelationsOf(tx: StorageTransaction, scope: Scope, memoryId: string, now: number, validTo: number): Promise<void> {
  for (const relation of await tx.relations(scope, { memoryId })) await tx.retireRelation(relation.id, now, validTo);
}

function cleanRelation(stated: StatedRelation): CleanRelation | undefined {
  const source = usableEntityName(stated.source);
  const target = usableEntityName(stated.target);
  const relation = relationName(stated.relation);
  if (source === undefined || target === undefined || relation === undefined) return undefined;
  const self = (name: string) => selfName(name) ?? name.normalize('NFKC').toLowerCase();
  if (self(source) === self(target)) return undefined;
  return { source, relation, target };
}

function sameRelation(a: CleanRelation, b: CleanRelation): boolean {
  return a.source === b.source && a.relation === b.relation && a.target === b.target;
}
