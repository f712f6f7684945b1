import type { ExportJob } from './export-format.js';
import type { JobRecord, JobStatus } from './storage/job-records.js';
import type { MemoryEvent } from './schema.js';

/**
 * A queued add, as `memory.job()` and `memory.jobs()` tell it. When `done`,
 * `results` and `droppedOperations` are what a waiting add returns; when
 * `failed`, `error` says why (its messages stay logged; `retryJob` queues it
 * again).
 */
export type Job = {
  id: string;
  status: JobStatus;
  /** 'extract': facts from a conversation; 'procedure': an agent's run summarized. */
  kind: 'extract' | 'procedure';
  userId?: string;
  agentId?: string;
  runId?: string;
  /** The logged messages the add brought. */
  messageIds: number[];
  /** Claims so far (failed attempts and workers that stopped mid-run). */
  attempts: number;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** When a queued job that failed an attempt is tried again. */
  retryAt?: string;
  /** The worker holding a running job. */
  worker?: string;
  error?: { code: string; message: string };
  results?: MemoryEvent[];
  droppedOperations?: number;
};

export function toJob(record: JobRecord): Job {
  return {
    id: record.id,
    status: record.status,
    kind: record.kind,
    ...record.scope,
    messageIds: record.messageIds,
    attempts: record.attempts,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    ...(record.finishedAt === null ? {} : { finishedAt: iso(record.finishedAt) }),
    ...(record.status === 'queued' && record.notBefore > record.updatedAt ? { retryAt: iso(record.notBefore) } : {}),
    ...(record.status === 'running' && record.leaseOwner ? { worker: record.leaseOwner } : {}),
    ...(record.error ? { error: record.error } : {}),
    ...(record.result ? { results: record.result.results, droppedOperations: record.result.droppedOperations } : {}),
  };
}

/** A queued add still to do, as an export record (a running one is exported as queued: its run has not landed). */
export function toExportJob(record: JobRecord): ExportJob {
  return {
    type: 'job',
    id: record.id,
    kind: record.kind,
    ...record.scope,
    status: record.status === 'failed' ? 'failed' : 'queued',
    messageIds: record.messageIds,
    // Stored metadata passed MetadataSchema when its add was made.
    metadata: record.metadata as ExportJob['metadata'],
    attempts: record.status === 'running' ? Math.max(0, record.attempts - 1) : record.attempts,
    ...(record.error ? { error: record.error } : {}),
    createdAt: iso(record.createdAt),
    ...(record.expiresAt == null ? {} : { expiresAt: iso(record.expiresAt) }),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
