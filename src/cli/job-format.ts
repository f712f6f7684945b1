import { isEngramError, type Job } from '../index.js';
import { eventLine, shortDate } from './format.js';
import { inSurfaceTerms } from './surface-terms.js';
import type { RuntimeConfig } from './runtime-config.js';

const EVENTS = ['ADD', 'UPDATE', 'DELETE', 'NONE'] as const;

/** "user=alice agent=coach run=r1": whose add it is, in one word per field. */
export function jobScope(job: Job): string {
  const parts: string[] = [];
  if (job.userId !== undefined) parts.push(`user=${job.userId}`);
  if (job.agentId !== undefined) parts.push(`agent=${job.agentId}`);
  if (job.runId !== undefined) parts.push(`run=${job.runId}`);
  return parts.join(' ');
}

/** "2 ADD, 1 UPDATE", "nothing to remember", with the operations Engram refused. */
export function jobOutcome(job: Job): string {
  if (job.status === 'failed' || (job.status === 'queued' && job.error)) {
    return job.error ? `${job.error.message} [${job.error.code}]` : 'failed';
  }
  if (job.status !== 'done') return job.status;
  const results = job.results ?? [];
  const counts = EVENTS.map((event) => [event, results.filter((r) => r.event === event).length] as const).filter(([, n]) => n > 0);
  const summary = counts.length === 0 ? 'nothing to remember' : counts.map(([event, n]) => `${n} ${event}`).join(', ');
  const dropped = job.droppedOperations ?? 0;
  return dropped > 0 ? `${summary} (${dropped} operation${dropped === 1 ? '' : 's'} of the model refused)` : summary;
}

/** One line per job a worker finished: "done <id> user=alice: 2 ADD, 1 UPDATE", "failed <id> user=alice: <why> [CODE]". */
export function jobLine(job: Job): string {
  return `${job.status} ${job.id} ${jobScope(job)}: ${jobOutcome(job)}`;
}

/** One line of `engram jobs list`: id, status, since when, whose, attempts, and how it ended. */
export function jobListLine(job: Job): string {
  const tail = job.status === 'done' || job.error ? `  ${jobOutcome(job)}` : job.retryAt ? `  retry at ${shortDate(job.retryAt)}` : '';
  return `${job.id}  ${job.status.padEnd(9)}  ${shortDate(job.createdAt)}  ${jobScope(job)}  attempts ${job.attempts}${tail}`;
}

/** Every field of one job, a line each (`engram jobs show`), then its results. */
export function jobDetails(job: Job): string[] {
  const rows: [string, string | undefined][] = [
    ['id', job.id],
    ['status', job.status],
    ['kind', job.kind],
    ['user', job.userId],
    ['agent', job.agentId],
    ['run', job.runId],
    ['messages', job.messageIds.join(', ')],
    ['attempts', String(job.attempts)],
    ['created', job.createdAt],
    ['updated', job.updatedAt],
    ['finished', job.finishedAt],
    ['retry at', job.retryAt],
    ['worker', job.worker],
    ['error', job.error && `${job.error.message} [${job.error.code}]`],
    ['dropped', job.droppedOperations ? String(job.droppedOperations) : undefined],
  ];
  const lines = rows.filter((row): row is [string, string] => row[1] !== undefined).map(([key, value]) => `${key.padEnd(10)}${value}`);
  if (job.results) lines.push(job.results.length === 0 ? 'results   nothing to remember' : 'results', ...job.results.map((event) => `  ${eventLine(event)}`));
  return lines;
}

/** A worker's trouble (no model file, a locked store), in the CLI's words. */
export function workerTroubleLine(error: unknown, paths: Pick<RuntimeConfig, 'db' | 'embeddingModel' | 'llmModel'>): string {
  const phrased = inSurfaceTerms(error, 'cli', paths);
  const what = isEngramError(phrased) ? `${phrased.message} [${phrased.code}]` : phrased instanceof Error ? phrased.message : String(phrased);
  return `the worker pauses and will try again: ${what}`;
}
