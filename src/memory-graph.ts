import { EngramError } from './errors.js';
import {
  GraphEntitiesOptionsSchema,
  GraphEntityRefSchema,
  GraphNeighboursOptionsSchema,
  GraphRelationsOptionsSchema,
  type Entity,
  type GraphEntitiesOptions,
  type GraphNeighboursOptions,
  type GraphRelationsOptions,
  type Neighbourhood,
  type Relation,
} from './graph/graph-schema.js';
import type { Embedder } from './embed/embedder.js';
import { describeRelations, findEntity, neighbourhood, toEntity } from './pipeline/graph/graph-queries.js';
import { linkMemories, type LinkProgress } from './pipeline/graph/link-memories.js';
import { ScopeSchema, type Scope } from './schema.js';
import { isInScope, scopeOf } from './scope.js';
import type { Storage } from './storage/storage.js';
import { toEpochMs } from './time.js';
import { requireScope, validate } from './validate.js';

/**
 * `memory.graph`: the entity graph of a store (see the `graph` option). Every
 * read names a scope, which matches as in getAll: `{ userId }` covers that
 * user's agents and runs too.
 */
export class MemoryGraph {
  constructor(
    private readonly storage: Storage,
    private readonly embedder: Embedder,
    private readonly assertOpen: () => void,
  ) {}

  /**
   * Links the current memories of a scope (or, with no scope, of the whole store) that name no entity yet
   * to the names their text holds and to who said them, with the offline linker: for memories stored
   * before the graph was switched on. Relations need the LLM and are not made. Safe to run again.
   */
  async link(options: { userId?: string; agentId?: string; runId?: string; onProgress?: (progress: LinkProgress) => void } = {}): Promise<{ linked: number; memories: number }> {
    this.assertOpen();
    const { onProgress, ...rest } = options;
    const scope = scopeOf(validate(ScopeSchema, rest, 'options'));
    return linkMemories(this.storage, this.embedder, { scope: Object.keys(scope).length > 0 ? scope : undefined, now: Date.now(), onProgress });
  }

  /** The entities of a scope, oldest first. */
  async entities(options: GraphEntitiesOptions): Promise<{ results: Entity[] }> {
    this.assertOpen();
    const opts = validate(GraphEntitiesOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    requireScope(scope, 'graph.entities');
    const all = await this.storage.transaction('read', 'reading the graph', (tx) => tx.entities(scope));
    return { results: all.slice(opts.offset, opts.offset + opts.limit).map(toEntity) };
  }

  /** The current relations of a scope (or of one entity), those true at `asOf`, or every one with `includeRetired`. */
  async relations(options: GraphRelationsOptions): Promise<{ results: Relation[] }> {
    this.assertOpen();
    const opts = validate(GraphRelationsOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    requireScope(scope, 'graph.relations');
    return this.storage.transaction('read', 'reading the graph', async (tx) => {
      const entity = opts.entity === undefined ? undefined : await findEntity(tx, scope, opts.entity);
      const at = opts.asOf === undefined ? undefined : toEpochMs(opts.asOf);
      const records = await tx.relations(scope, { entityId: entity?.id, at, includeRetired: opts.includeRetired });
      return { results: await describeRelations(tx, records) };
    });
  }

  /** The entities within `depth` relations of an entity (an id, a name, or "me"), and the relations between. */
  async neighbours(entity: string, options: GraphNeighboursOptions): Promise<Neighbourhood> {
    this.assertOpen();
    const ref = validate(GraphEntityRefSchema, entity, 'entity');
    const opts = validate(GraphNeighboursOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    requireScope(scope, 'graph.neighbours');
    const at = opts.asOf === undefined ? undefined : toEpochMs(opts.asOf);
    return this.storage.transaction('read', 'reading the graph', async (tx) => neighbourhood(tx, scope, await findEntity(tx, scope, ref), opts.depth, at));
  }

  /**
   * Merges entity `from` into entity `into` (both ids, of one exact scope): a correction when the graph kept
   * one person or place twice. `from`'s name becomes an alias of `into`; its relations and mentions move.
   */
  async merge(from: string, into: string, scope: Scope = {}): Promise<Entity> {
    this.assertOpen();
    const fromId = validate(GraphEntityRefSchema, from, 'from');
    const intoId = validate(GraphEntityRefSchema, into, 'into');
    const within = validate(ScopeSchema, scope, 'scope');
    if (fromId === intoId) throw new EngramError('INVALID_INPUT', 'an entity cannot be merged into itself');
    return this.storage.transaction('write', 'merging entities', async (tx) => {
      const found = await tx.entitiesById([fromId, intoId]);
      const source = found.find((e) => e.id === fromId);
      const target = found.find((e) => e.id === intoId);
      const visible = (e: typeof source) => e !== undefined && isInScope(e.scope, within);
      if (!visible(source)) throw new EngramError('NOT_FOUND', `no entity with id ${fromId}`);
      if (!visible(target)) throw new EngramError('NOT_FOUND', `no entity with id ${intoId}`);
      const [a, b] = [source, target] as [NonNullable<typeof source>, NonNullable<typeof target>];
      if (JSON.stringify(scopeOf(a.scope)) !== JSON.stringify(scopeOf(b.scope))) {
        throw new EngramError('INVALID_INPUT', 'only entities of one exact scope can be merged');
      }
      if (a.type === 'user' || b.type === 'user') throw new EngramError('INVALID_INPUT', "the scope's user cannot be merged");
      const aliases = [...new Set([...b.aliases, a.name, ...a.aliases])].filter((name) => name !== b.name);
      await tx.mergeEntity(a.id, b.id);
      const updatedAt = Date.now();
      // Both may have stated one fact ("sees Bobby", "sees Robert"): the older record stands; the other never held apart.
      const seen = new Set<string>();
      for (const relation of await tx.relations(b.scope, { entityId: b.id })) {
        const fact = JSON.stringify([relation.sourceId, relation.relation, relation.targetId]);
        if (seen.has(fact)) await tx.retireRelation(relation.id, updatedAt, relation.validFrom);
        seen.add(fact);
      }
      await tx.updateEntity(b.id, { aliases, updatedAt });
      return toEntity({ ...b, aliases, updatedAt });
    });
  }
}
