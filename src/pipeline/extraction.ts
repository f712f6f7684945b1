import type { JobKind, JobResult } from '../storage/job-records.js';
import type { Scope } from '../schema.js';
import type { StorageTransaction, StoredMessage } from '../storage/storage.js';

/**
 * What one LLM call works on: one or more queued adds (jobs) of one exact
 * scope, in queue order, with their logged messages. With several jobs the
 * call handles them together (batching); each change is attributed to the
 * job its message came from, so each job gets its own result and its
 * memories point to its own messages.
 */
export type Extraction = {
  kind: JobKind;
  scope: Scope;
  metadata: Record<string, unknown>;
  /** When the changes are made (history, created_at). */
  now: number;
  /** The add's own expiresAt (ms) for what it stores or changes; absent: the store policy's defaults. */
  expiresAt?: number | undefined;
  /** `queuedAt`: when the add was made; its messages given no date were logged with it. */
  jobs: { id: string; queuedAt: number; messages: StoredMessage[] }[];
};

/**
 * Runs inside the write transaction that applies an extraction, after its
 * changes: the queue checks there that it still owns every job (and marks
 * them done), so an extraction lands once or not at all. Throwing rolls
 * everything back.
 */
export type CommitExtraction = (tx: StorageTransaction, results: Map<string, JobResult>) => Promise<void>;

/**
 * When a queued add's facts were observed: its newest dated message, or the
 * time of the add (a message given no date was logged at the add's time).
 */
export function observationTime(job: Extraction['jobs'][number]): number {
  const dated = job.messages.map((m) => m.createdAt).filter((t) => t !== job.queuedAt);
  return dated.length > 0 ? Math.max(...dated) : job.queuedAt;
}
