import { z } from 'zod';
import { HistoryEntrySchema, KindSchema, MemoryIdSchema, MetadataSchema, ScopeIdSchema, TextSchema } from './schema.js';
import { ENTITY_TYPES, type EntityType, type RelationRecord } from './storage/graph-records.js';
import { toIso } from './time.js';
import { ENTITY_NAME_MAX, RELATION_NAME_MAX } from './limits.js';
import { MAX_TIME, MIN_TIME } from './time.js';
import { PolicySchema } from './policy.js';

/**
 * Engram's portable format: JSON Lines, one record per line. A header, then
 * the message log, then one record per memory holding every version and its
 * history, then the entity graph (entities, then relations, oldest first),
 * then the queued adds still to do, oldest first. Vectors are not exported: they belong to an embedding model, and
 * import re-embeds with the target's.
 */
export const EXPORT_FORMAT_VERSION = 6;
/**
 * Formats this Engram imports: 1 (before queued adds were exported), 2 (before the entity graph), 3 (before
 * the store's policy), 4 (before expiry), 5 (before the policies of scopes) and 6. An older Engram refuses a
 * newer export by its header.
 */
export const IMPORTABLE_FORMATS = [1, 2, 3, 4, 5, 6] as const;

const IsoSchema = z.iso.datetime({ offset: true }).refine((s) => Date.parse(s) >= MIN_TIME && Date.parse(s) <= MAX_TIME, {
  error: 'must lie between the years 0000 and 9999 (UTC)',
});

export const ExportHeaderSchema = z.strictObject({
  type: z.literal('engram'),
  format: z.literal(IMPORTABLE_FORMATS),
  exportedAt: IsoSchema,
  embeddingModel: z.string().optional(),
});

const ScopeFields = {
  userId: ScopeIdSchema.optional(),
  agentId: ScopeIdSchema.optional(),
  runId: ScopeIdSchema.optional(),
};

export const ExportMessageSchema = z.strictObject({
  type: z.literal('message'),
  /** The message's id in the file it came from; provenance (`source.messageIds`) refers to it. */
  id: z.number().int().positive(),
  ...ScopeFields,
  role: z.enum(['user', 'assistant', 'system']),
  name: z.string().max(256).optional(),
  content: z.string().max(100_000),
  createdAt: IsoSchema,
  addedAt: IsoSchema,
});

export const ExportVersionSchema = z.strictObject({
  version: z.number().int().min(1),
  memory: TextSchema,
  metadata: MetadataSchema,
  validFrom: IsoSchema,
  validTo: IsoSchema.optional(),
  /** Format 5: when the version leaves reads (an expired one stays in history and asOf). */
  expiresAt: IsoSchema.optional(),
  updatedAt: IsoSchema,
  source: z.record(z.string(), z.unknown()).optional(),
});

export const ExportMemorySchema = z
  .strictObject({
    type: z.literal('memory'),
    id: MemoryIdSchema,
    kind: KindSchema,
    ...ScopeFields,
    createdAt: IsoSchema,
    // No cap on versions or history: a memory may change any number of times, and every export must import.
    versions: z.array(ExportVersionSchema).min(1),
    history: z.array(HistoryEntrySchema.omit({ id: true, memoryId: true }).strict()),
  })
  .superRefine((memory, ctx) => {
    if (memory.userId === undefined && memory.agentId === undefined && memory.runId === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a memory needs at least one of userId, agentId, runId' });
    }
    if (memory.history.length > 0) {
      const changes = memory.history.filter((h) => h.event !== 'DELETE').length;
      if (memory.history[0]?.event !== 'ADD') ctx.addIssue({ code: 'custom', path: ['history', 0], message: 'history must start with ADD' });
      if (changes !== memory.versions.length) {
        ctx.addIssue({ code: 'custom', path: ['history'], message: `${memory.versions.length} versions need ${memory.versions.length} ADD/UPDATE entries, not ${changes}` });
      }
      if (memory.versions.at(-1)?.validTo !== undefined && !memory.history.some((h) => h.event === 'DELETE')) {
        ctx.addIssue({ code: 'custom', path: ['history'], message: 'the last version is closed, so the history needs its DELETE' });
      }
    }
    memory.versions.forEach((v, i) => {
      if (v.version !== i + 1) ctx.addIssue({ code: 'custom', path: ['versions', i, 'version'], message: `versions must be numbered 1, 2, … in order` });
      const last = i === memory.versions.length - 1;
      if (!last && v.validTo === undefined) ctx.addIssue({ code: 'custom', path: ['versions', i, 'validTo'], message: 'only the last version can be current' });
      if (v.validTo !== undefined && Date.parse(v.validTo) < Date.parse(v.validFrom)) {
        ctx.addIssue({ code: 'custom', path: ['versions', i, 'validTo'], message: 'validTo is before validFrom' });
      }
      const next = memory.versions[i + 1];
      if (next && Date.parse(next.validFrom) < Date.parse(v.validFrom)) {
        ctx.addIssue({ code: 'custom', path: ['versions', i + 1, 'validFrom'], message: 'versions must be in time order: this one begins before the one it replaces' });
      } else if (next && v.validTo !== undefined && Date.parse(v.validTo) > Date.parse(next.validFrom)) {
        ctx.addIssue({ code: 'custom', path: ['versions', i, 'validTo'], message: 'this version overlaps the next one: it ends after the next begins' });
      }
    });
  });

/**
 * A queued add that has not landed (queued, running: exported as queued, or
 * failed), so an export moves the work still to do too. `messageIds` are the
 * ids of its message records in the export. Done adds are not exported: what
 * they did is in the memories; cancelled ones were dropped on purpose.
 */
export const ExportJobSchema = z
  .strictObject({
    type: z.literal('job'),
    id: MemoryIdSchema,
    kind: z.enum(['extract', 'procedure']),
    ...ScopeFields,
    status: z.enum(['queued', 'failed']),
    messageIds: z.array(z.number().int().positive()).min(1).max(10_000),
    metadata: MetadataSchema,
    attempts: z.number().int().min(0),
    error: z.strictObject({ code: z.string().max(64), message: z.string().max(10_000) }).optional(),
    createdAt: IsoSchema,
    /** Format 5: the add's own expiresAt. */
    expiresAt: IsoSchema.optional(),
  })
  .superRefine((job, ctx) => {
    if (job.userId === undefined && job.agentId === undefined && job.runId === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a queued add needs at least one of userId, agentId, runId' });
    }
    if (job.kind === 'procedure' && job.agentId === undefined) ctx.addIssue({ code: 'custom', path: ['agentId'], message: 'a procedure belongs to an agent' });
  });

/** An entity of the graph; `memoryIds`: the memories (of this export) that name it. */
export const ExportEntitySchema = z
  .strictObject({
    type: z.literal('entity'),
    id: MemoryIdSchema,
    ...ScopeFields,
    name: z.string().min(1).max(ENTITY_NAME_MAX),
    entityType: z.enum(ENTITY_TYPES as [EntityType, ...EntityType[]]),
    aliases: z.array(z.string().min(1).max(ENTITY_NAME_MAX)).max(1_000),
    memoryIds: z.array(MemoryIdSchema).max(1_000_000),
    createdAt: IsoSchema,
    updatedAt: IsoSchema,
  })
  .superRefine(needsScope('an entity'));

/** A relation between two entities of the export, with both time axes. */
export const ExportRelationSchema = z
  .strictObject({
    type: z.literal('relation'),
    id: MemoryIdSchema,
    ...ScopeFields,
    source: MemoryIdSchema,
    relation: z.string().min(1).max(RELATION_NAME_MAX),
    target: MemoryIdSchema,
    validFrom: IsoSchema,
    validTo: IsoSchema.optional(),
    recordedAt: IsoSchema,
    retiredAt: IsoSchema.optional(),
    memoryId: MemoryIdSchema.optional(),
    messageIds: z.array(z.number().int().positive()).max(10_000),
  })
  .superRefine(needsScope('a relation'))
  .superRefine((r, ctx) => {
    if (r.source === r.target) ctx.addIssue({ code: 'custom', path: ['target'], message: 'a relation links two different entities' });
    if (r.validTo !== undefined && Date.parse(r.validTo) < Date.parse(r.validFrom)) ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'validTo is before validFrom' });
    if (r.retiredAt !== undefined && Date.parse(r.retiredAt) < Date.parse(r.recordedAt)) {
      ctx.addIssue({ code: 'custom', path: ['retiredAt'], message: 'retiredAt is before recordedAt' });
    }
  });

function needsScope(what: string) {
  return (record: { userId?: string | undefined; agentId?: string | undefined; runId?: string | undefined }, ctx: z.RefinementCtx) => {
    if (record.userId === undefined && record.agentId === undefined && record.runId === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} needs at least one of userId, agentId, runId` });
    }
  };
}

/**
 * A policy, right after the header: the store's own (format 4; no scope
 * fields) or a user's, agent's or run's (format 6), so that a restored backup
 * keeps its deny rules before any message lands. A scope's export carries the
 * policies of that scope and under it, not the store's.
 */
export const ExportPolicySchema = z.strictObject({ type: z.literal('policy'), ...ScopeFields, policy: PolicySchema });
export type ExportPolicy = z.infer<typeof ExportPolicySchema>;

export const ExportRecordSchema = z.discriminatedUnion('type', [
  ExportPolicySchema,
  ExportHeaderSchema,
  ExportMessageSchema,
  ExportMemorySchema,
  ExportEntitySchema,
  ExportRelationSchema,
  ExportJobSchema,
]);
export type ExportEntity = z.infer<typeof ExportEntitySchema>;

/** A relation as every engine exports it. */
export function toExportRelation(r: RelationRecord): ExportRelation {
  return {
    type: 'relation',
    id: r.id,
    ...r.scope,
    source: r.sourceId,
    relation: r.relation,
    target: r.targetId,
    validFrom: toIso(r.validFrom),
    ...(r.validTo === null ? {} : { validTo: toIso(r.validTo) }),
    recordedAt: toIso(r.recordedAt),
    ...(r.retiredAt === null ? {} : { retiredAt: toIso(r.retiredAt) }),
    ...(r.memoryId === null ? {} : { memoryId: r.memoryId }),
    messageIds: [...r.messageIds],
  };
}
export type ExportRelation = z.infer<typeof ExportRelationSchema>;
export type ExportRecord = z.infer<typeof ExportRecordSchema>;
export type ExportJob = z.infer<typeof ExportJobSchema>;
export type ExportMessage = z.infer<typeof ExportMessageSchema>;
export type ExportMemory = z.infer<typeof ExportMemorySchema>;

/**
 * The history an imported memory gets: its own when the export has one, else
 * the one its versions imply (ADD for the first, UPDATE for each later one,
 * DELETE when the last is closed). Every engine imports with it.
 */
export function historyToImport(memory: ExportMemory): ExportMemory['history'] {
  if (memory.history.length > 0) return memory.history;
  const entries: ExportMemory['history'] = memory.versions.map((v, i) => {
    const previous = memory.versions[i - 1];
    return previous
      ? { event: 'UPDATE', oldMemory: previous.memory, newMemory: v.memory, oldMetadata: previous.metadata, newMetadata: v.metadata, actor: 'api', createdAt: v.validFrom }
      : { event: 'ADD', newMemory: v.memory, newMetadata: v.metadata, actor: 'api', createdAt: v.validFrom };
  });
  const last = memory.versions.at(-1);
  if (last?.validTo !== undefined) entries.push({ event: 'DELETE', oldMemory: last.memory, oldMetadata: last.metadata, actor: 'api', createdAt: last.validTo });
  return entries;
}
