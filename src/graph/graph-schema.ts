import { z } from 'zod';
import { ScopeSchema, TimestampSchema } from '../schema.js';
import type { EntityType } from '../storage/graph-records.js';

/** Names an entity: its id, or a name or alias (matched as normalized: "Dr. Smith" and "smith" find each other). */
const EntityRefSchema = z.string().min(1).max(200);

export const GraphEntitiesOptionsSchema = ScopeSchema.extend({
  limit: z.number().int().min(1).max(10_000).default(1_000),
  offset: z.number().int().min(0).default(0),
});
export type GraphEntitiesOptions = z.input<typeof GraphEntitiesOptionsSchema>;

export const GraphRelationsOptionsSchema = ScopeSchema.extend({
  /** Only relations touching this entity. */
  entity: EntityRefSchema.optional(),
  /** Relations true at this time, as known now (retired ones included when they were true then). */
  asOf: TimestampSchema.optional(),
  /** Every relation, retired ones too. */
  includeRetired: z.boolean().default(false),
});
export type GraphRelationsOptions = z.input<typeof GraphRelationsOptionsSchema>;

export const GraphNeighboursOptionsSchema = ScopeSchema.extend({
  /** How many relations away. @default 1 */
  depth: z.number().int().min(1).max(4).default(1),
  asOf: TimestampSchema.optional(),
});
export type GraphNeighboursOptions = z.input<typeof GraphNeighboursOptionsSchema>;

export const GraphEntityRefSchema = EntityRefSchema;

/** An entity as the API shows it (no vector). */
export type Entity = {
  id: string;
  name: string;
  type: EntityType;
  aliases: string[];
  userId?: string;
  agentId?: string;
  runId?: string;
  createdAt: string;
  updatedAt: string;
};

/** A relation as the API shows it: both ends named, both time axes as ISO dates. */
export type Relation = {
  id: string;
  source: { id: string; name: string };
  relation: string;
  target: { id: string; name: string };
  /** When it became true, and (once it stopped) when it stopped. */
  validFrom: string;
  validTo?: string;
  /** When Engram recorded it, and (once retired) when Engram retired it. */
  recordedAt: string;
  retiredAt?: string;
  /** The memory it was stated with. */
  memoryId?: string;
  messageIds: number[];
  userId?: string;
  agentId?: string;
  runId?: string;
};

export type Neighbourhood = {
  entity: Entity;
  /** Entities reached, nearest first, with how many relations away. */
  entities: (Entity & { distance: number })[];
  /** The relations walked. */
  relations: Relation[];
};
