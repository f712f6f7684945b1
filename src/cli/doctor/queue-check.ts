import { JobStatusSchema, type Memory } from '../../index.js';
import { formatDuration } from '../progress-bar.js';
import type { CheckResult } from './check.js';

/** A queued add waiting longer than this, with no retry planned, suggests no worker runs. */
const STALE_MS = 60_000;

/**
 * The extraction queue: its adds per status; a warning when some failed (they
 * wait for `engram jobs retry`) or when the oldest queued one has waited more
 * than a minute (is a worker running?).
 */
export async function checkQueue(memory: Memory, now = Date.now()): Promise<CheckResult> {
  const { counts } = await memory.jobs({ limit: 1 });
  const detail = JobStatusSchema.options.map((status) => `${counts[status]} ${status}`).join(', ');
  const problems: string[] = [];
  const fixes: string[] = [];
  if (counts.failed > 0) {
    problems.push(`${counts.failed} failed`);
    fixes.push('see why with `engram jobs list --status failed`, then queue them again with `engram jobs retry <id>`');
  }
  // Newest first: the oldest queued add is the last of them.
  const oldest = counts.queued === 0 ? undefined : (await memory.jobs({ status: ['queued'], limit: 1, offset: counts.queued - 1 })).results[0];
  const waited = oldest && oldest.retryAt === undefined ? now - Date.parse(oldest.updatedAt) : 0;
  if (waited > STALE_MS) {
    problems.push(`the oldest queued add has waited ${formatDuration(waited / 1000)}`);
    fixes.push('is a worker running? Start `engram worker` (or `engram serve` / `engram mcp` with an LLM file, without --no-worker)');
  }
  const data = { counts: { ...counts } };
  if (problems.length === 0) return { name: 'queue', status: 'ok', detail, data };
  return { name: 'queue', status: 'warn', detail: `${detail}; ${problems.join('; ')}`, fix: fixes.join('; '), data };
}
