import type { MemoryEvent, Scope } from '../schema.js';

/**
 * The extraction queue's records (see pipeline/job-runner.ts). A job is one
 * add waiting for the LLM: its messages are already in the message log (the
 * job names them by id), written in the same transaction as the job.
 */
export type JobKind = 'extract' | 'procedure';

/**
 * queued: waiting (maybe until `notBefore`, after a failed attempt);
 * running: a worker holds its lease; done: applied, with its result;
 * failed: every attempt failed (its messages stay logged; `retry` queues it
 * again); cancelled: dropped by a user. Only queued and running jobs are
 * unfinished: they hold their scope's order.
 */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'done', 'failed', 'cancelled'];

export type JobError = { code: string; message: string };
export type JobResult = { results: MemoryEvent[]; droppedOperations: number };

export type NewJob = {
  id: string;
  scope: Scope;
  kind: JobKind;
  messageIds: number[];
  /** The metadata every memory the job stores gets. */
  metadata: Record<string, unknown>;
  createdAt: number;
  /** The add's own `expiresAt` (ms) for every memory the job stores or changes; null or absent: the policy's default. */
  expiresAt?: number | null | undefined;
};

export type JobRecord = NewJob & {
  status: JobStatus;
  /** Claims so far: a worker that dies mid-job spends an attempt too, so a job that kills its worker cannot loop forever. */
  attempts: number;
  /** Not claimed before this instant (ms): the backoff after a failed attempt. */
  notBefore: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  error: JobError | null;
  result: JobResult | null;
  updatedAt: number;
  finishedAt: number | null;
};

/** Fields a worker or a user changes; the rest of a job never changes. */
export type JobChange = Partial<Pick<JobRecord, 'status' | 'attempts' | 'notBefore' | 'leaseOwner' | 'leaseExpiresAt' | 'error' | 'result' | 'finishedAt'>> & {
  updatedAt: number;
};

export type JobCounts = Record<JobStatus, number>;

/** The column of each changeable field: both engines' `jobs` tables name them so. */
export const JOB_CHANGE_COLUMNS = {
  status: 'status',
  attempts: 'attempts',
  notBefore: 'not_before',
  leaseOwner: 'lease_owner',
  leaseExpiresAt: 'lease_expires_at',
  error: 'error',
  result: 'result',
  finishedAt: 'finished_at',
  updatedAt: 'updated_at',
} as const satisfies Record<keyof JobChange, string>;
