import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { EngramError } from '../errors.js';
import type { Scope } from '../schema.js';
import { isInScope, scopeKey } from '../scope.js';
import type { JobError, JobRecord, JobResult } from '../storage/job-records.js';
import type { StorageTransaction } from '../storage/storage.js';
import type { CommitExtraction, Extraction } from './extraction.js';
import { extractFacts, type InferDeps } from './infer-add.js';
import { summarizeProcedure } from './procedure.js';

export type QueueSettings = {
  /** Work the store's queue in the background (poll it), not only the adds this process waits for. */
  background: boolean;
  /** Scopes worked at once (each its own LLM call; the LLM runs them one after another anyway). */
  concurrency: number;
  /** A claimed job belongs to its worker this long past the last heartbeat; then any worker may claim it again. */
  leaseMs: number;
  /** How often an idle background worker looks for jobs queued by other processes. */
  pollMs: number;
  /** Claims of a job before it is `failed` (a failed attempt or a worker that died mid-run). */
  maxAttempts: number;
  /** The wait after the first failed attempt; doubled after each next one. */
  retryDelayMs: number;
  /** Messages handled by one LLM call at most, queued adds of one scope together; 1: no batching. */
  batchMessages: number;
  /** How long done and cancelled jobs (and their results) are kept; a background worker removes older ones. */
  keepFinishedMs: number;
};

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  background: true,
  concurrency: 1,
  leaseMs: 60_000,
  pollMs: 1_000,
  maxAttempts: 4,
  retryDelayMs: 2_000,
  batchMessages: 20,
  keepFinishedMs: 7 * 86_400_000,
};

/** How often a background worker removes finished jobs past their keeping time. */
const PRUNE_EVERY_MS = 3_600_000;

/** Heads (one per scope) looked at per claim. */
const CLAIM_SCAN = 64;
/** Queued adds handled by one LLM call at most. */
const MAX_BATCH_JOBS = 20;

/** The model failed or answered nonsense: worth another attempt later. Anything else is the worker's trouble (no model file, closed store): the job waits, unharmed. */
const JOB_ERRORS = new Set(['LLM_FAILED', 'LLM_OUTPUT_INVALID', 'INVALID_INPUT']);

type Waiter = { scope: Scope; resolve: (result: JobResult) => void; reject: (error: unknown) => void };

/** Which jobs a fill may claim: those of exactly one scope (a waiting add drives its own), or of a scope and everything under it (flush). */
export type ClaimFilter = { exact: Scope } | { under: Scope } | undefined;

/** Another worker took the job over (its lease ran out), or it was cancelled or forgotten: this run must not land. */
class LeaseLost extends Error {}

/**
 * Works the extraction queue of one store (see storage/job-records.ts).
 *
 * Exactly once: a worker claims a scope's oldest unfinished job (with the
 * queued jobs right behind it: one LLM call for all), holding a lease it
 * renews while it works; the changes land in one transaction together with
 * the jobs marked done, and only while the lease is still its own. A worker
 * killed mid-run leaves a lease that runs out; the next worker claims the job
 * again and nothing of the first run was written. Per-scope order: only a
 * scope's oldest unfinished job may be claimed, so job n + 1 of a scope runs
 * after job n's changes landed, on every engine and across processes.
 */
export class JobRunner {
  /** Names this worker in leases (`engram jobs list` shows it). */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly listeners = new Set<(job: JobRecord) => void>();
  private claiming: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private pausedUntil = 0;
  private prunedAt = 0;

  constructor(
    private readonly deps: InferDeps,
    private readonly settings: QueueSettings,
    private readonly onWorkerError: (error: unknown) => void = () => undefined,
  ) {}

  /** Starts the background worker (when the settings ask for one). */
  start(): void {
    if (this.settings.background && !this.loop) this.loop = this.work();
  }

  /** Something was queued or finished: look at the queue now rather than at the next poll. */
  kick(): void {
    this.wake?.();
  }

  /** Calls `listener` with every job this worker finished (done or failed); returns the unsubscribe. */
  onFinished(listener: (job: JobRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Waits for a queued add's job and returns its result, working its scope's
   * queue meanwhile (so a waiting add needs no background worker). If it
   * fails, nothing of it stays: the job and its messages are removed, and the
   * model's error is thrown, as for an add that was never queued.
   */
  async waitFor(job: { id: string; scope: Scope }): Promise<JobResult> {
    const settled = new Promise<JobResult>((resolve, reject) => this.waiters.set(job.id, { scope: job.scope, resolve, reject }));
    settled.catch(() => undefined);
    try {
      for (let delay = 5; ; delay = Math.min(delay * 2, 250)) {
        if (this.stopped) throw closed();
        try {
          await this.fill({ exact: job.scope });
        } catch (error) {
          // Claiming failed (a locked or failing store): the caller gets the error, so the add must not land later.
          await this.removeUnlessStarted(job.id).catch(() => undefined);
          throw error;
        }
        const outcome = await Promise.race([settled, sleep(delay).then(() => undefined)]);
        if (outcome) return outcome;
        const state = await this.deps.storage.transaction('read', 'reading a queued add', (tx) => tx.job(job.id));
        const result = await this.settledElsewhere(job.id, state);
        if (result) return result;
      }
    } finally {
      this.waiters.delete(job.id);
    }
  }

  /** Removes a job and its messages unless a worker runs or ran it; whether it is gone. */
  private removeUnlessStarted(id: string): Promise<boolean> {
    return this.deps.storage.transaction('write', 'removing a failed add', async (tx) => {
      const current = await tx.job(id);
      if (current?.status === 'running' || current?.status === 'done') return false;
      if (current) {
        await tx.deleteJob(id);
        await tx.deleteMessages(current.messageIds);
      }
      return true;
    });
  }

  /** Claims and starts work while there is capacity; how many batches started. */
  fill(filter?: ClaimFilter): Promise<number> {
    const run = this.claiming.then(async () => {
      let started = 0;
      while (!this.stopped && this.running.size < this.settings.concurrency) {
        const batch = await this.claim(filter);
        if (!batch) break;
        const key = scopeKey((batch[0] as JobRecord).scope);
        this.running.set(
          key,
          this.run(batch).finally(() => {
            this.running.delete(key);
            this.kick();
          }),
        );
        started += 1;
      }
      return started;
    });
    this.claiming = run.catch(() => undefined);
    return run;
  }

  /** Stops claiming, and waits for the work in flight to land (or fail). */
  async close(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.loop;
    await this.claiming;
    await Promise.allSettled([...this.running.values()]);
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      if (Date.now() >= this.pausedUntil) {
        await this.fill().catch((error: unknown) => this.workerTrouble(error));
        await this.pruneFinished().catch((error: unknown) => this.onWorkerError(error));
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.pollMs);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** The oldest claimable job of a scope and the queued jobs right behind it, now leased to this worker; undefined when there is none. */
  private async claim(filter: ClaimFilter): Promise<JobRecord[] | undefined> {
    const exact = filter && 'exact' in filter ? filter.exact : undefined;
    const under = filter && 'under' in filter ? filter.under : undefined;
    let abandoned: JobRecord[] = [];
    const batch = await this.deps.storage.transaction('write', 'claiming queued adds', async (tx) => {
      // Reset per attempt: an engine may run a write again after a conflict.
      abandoned = [];
      const now = Date.now();
      for (const head of await tx.jobHeads(CLAIM_SCAN, exact)) {
        if (this.running.has(scopeKey(head.scope)) || (under && !isInScope(head.scope, under))) continue;
        const claimable = head.status === 'queued' ? head.notBefore <= now : (head.leaseExpiresAt ?? 0) < now || ownerIsGone(head.leaseOwner);
        if (!claimable) continue;
        if (head.status === 'running' && head.attempts >= this.settings.maxAttempts) {
          // Its workers died mid-run as often as a job may be tried: a job that kills its worker must not loop forever.
          const error = { code: 'WORKER_LOST', message: `the workers running this add stopped ${head.attempts} times before it finished` };
          await tx.updateJob(head.id, { status: 'failed', error, leaseOwner: null, leaseExpiresAt: null, finishedAt: now, updatedAt: now });
          abandoned.push({ ...head, status: 'failed', error, leaseOwner: null, leaseExpiresAt: null, finishedAt: now, updatedAt: now });
          continue;
        }
        const claimed = [head, ...(await this.followers(tx, head, now))].map(
          (job): JobRecord => ({ ...job, status: 'running', attempts: job.attempts + 1, leaseOwner: this.owner, leaseExpiresAt: now + this.settings.leaseMs, updatedAt: now }),
        );
        for (const job of claimed) {
          await tx.updateJob(job.id, { status: 'running', attempts: job.attempts, leaseOwner: this.owner, leaseExpiresAt: job.leaseExpiresAt, updatedAt: now });
        }
        return claimed;
      }
      return undefined;
    });
    for (const job of abandoned) this.finished(job);
    return batch;
  }

  /**
   * The queued adds right behind `head` that one LLM call can handle with it:
   * same kind and metadata, never tried before (a job that failed runs alone,
   * so it cannot sink others), not waited for, within the message budget.
   */
  private async followers(tx: StorageTransaction, head: JobRecord, now: number): Promise<JobRecord[]> {
    // A waiting add gets the answer to its own messages, as if it ran alone: only the backlog of queued adds is batched.
    if (head.kind !== 'extract' || head.error !== null || this.waiters.has(head.id) || head.messageIds.length >= this.settings.batchMessages) return [];
    const metadata = JSON.stringify(head.metadata);
    let messages = head.messageIds.length;
    const batch: JobRecord[] = [];
    for (const job of (await tx.unfinishedJobs(head.scope, MAX_BATCH_JOBS)).slice(1)) {
      const fits = messages + job.messageIds.length <= this.settings.batchMessages;
      const alike = job.kind === 'extract' && JSON.stringify(job.metadata) === metadata && job.expiresAt === head.expiresAt && !this.waiters.has(job.id);
      if (job.status !== 'queued' || job.attempts > 0 || job.notBefore > now || !alike || !fits) break;
      batch.push(job);
      messages += job.messageIds.length;
    }
    return batch;
  }

  private async run(batch: JobRecord[]): Promise<void> {
    const heartbeat = setInterval(() => void this.renew(batch).catch(() => undefined), Math.max(20, this.settings.leaseMs / 3));
    heartbeat.unref();
    try {
      const head = batch[0] as JobRecord;
      const messages = await this.deps.storage.transaction('read', 'reading queued messages', async (tx) => {
        const found = [];
        for (const job of batch) found.push(await tx.messagesById(job.messageIds));
        return found;
      });
      const input: Extraction = {
        kind: head.kind,
        scope: head.scope,
        metadata: head.metadata,
        now: Date.now(),
        expiresAt: head.expiresAt ?? undefined,
        jobs: batch.map((job, i) => ({ id: job.id, queuedAt: job.createdAt, messages: messages[i] ?? [] })),
      };
      let finishedAt = 0;
      const commit: CommitExtraction = async (tx, results) => {
        for (const job of batch) {
          const current = await tx.job(job.id);
          if (current?.status !== 'running' || current.leaseOwner !== this.owner) throw new LeaseLost(job.id);
        }
        finishedAt = Date.now();
        for (const job of batch) {
          const result = results.get(job.id) ?? { results: [], droppedOperations: 0 };
          await tx.updateJob(job.id, { status: 'done', result, error: null, leaseOwner: null, leaseExpiresAt: null, finishedAt, updatedAt: finishedAt });
        }
      };
      const results = await (head.kind === 'procedure' ? summarizeProcedure : extractFacts)(this.deps, input, commit);
      for (const job of batch) {
        const result = results.get(job.id) ?? { results: [], droppedOperations: 0 };
        this.waiters.get(job.id)?.resolve(result);
        this.finished({ ...job, status: 'done', result, error: null, leaseOwner: null, leaseExpiresAt: null, finishedAt, updatedAt: finishedAt });
      }
    } catch (error) {
      await this.recover(batch, error).catch((trouble: unknown) => this.workerTrouble(trouble));
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * After a run that did not land: a lost lease gives the rest back; a model
   * failure is an attempt (retried with backoff, `failed` after the last);
   * a waited add is removed whole and its caller gets the error; any other
   * failure is the worker's, and the jobs go back to the queue as they were.
   */
  private async recover(batch: JobRecord[], error: unknown): Promise<void> {
    const lost = error instanceof LeaseLost;
    const code = error instanceof EngramError ? error.code : 'LLM_FAILED';
    const jobError: JobError = { code, message: error instanceof Error ? error.message : String(error) };
    const attempt = !lost && JOB_ERRORS.has(code);
    let removed: string[] = [];
    let failed: JobRecord[] = [];
    try {
      await this.deps.storage.transaction('write', 'recording a failed attempt', async (tx) => {
        // Reset per attempt: an engine may run a write again after a conflict.
        removed = [];
        failed = [];
        const now = Date.now();
        for (const job of batch) {
          const current = await tx.job(job.id);
          if (current?.status !== 'running' || current.leaseOwner !== this.owner) continue;
          const release = { leaseOwner: null, leaseExpiresAt: null, updatedAt: now };
          if (!lost && this.waiters.has(job.id)) {
            await tx.deleteJob(job.id);
            await tx.deleteMessages(job.messageIds);
            removed.push(job.id);
          } else if (!attempt) {
            await tx.updateJob(job.id, { ...release, status: 'queued', attempts: current.attempts - 1 });
          } else if (current.attempts >= this.settings.maxAttempts) {
            await tx.updateJob(job.id, { ...release, status: 'failed', error: jobError, finishedAt: now });
            failed.push({ ...current, ...release, status: 'failed', error: jobError, finishedAt: now });
          } else {
            const notBefore = now + this.settings.retryDelayMs * 2 ** (current.attempts - 1);
            await tx.updateJob(job.id, { ...release, status: 'queued', error: jobError, notBefore });
          }
        }
      });
    } finally {
      for (const job of batch) if (!lost) this.waiters.get(job.id)?.reject(error);
    }
    for (const job of failed) this.finished(job);
    if (!lost && !attempt) {
      await this.abandonWaitersBehind(batch, error).catch(() => undefined);
      if (removed.length < batch.length) this.workerTrouble(error);
    }
  }

  /**
   * This process cannot work a scope (no model file, a closed store): the adds
   * of that scope it waits for, queued behind the batch, would wait forever.
   * As for any waited add that fails, nothing of them stays, and their callers
   * get the error.
   */
  private async abandonWaitersBehind(batch: JobRecord[], error: unknown): Promise<void> {
    const key = scopeKey((batch[0] as JobRecord).scope);
    const inBatch = new Set(batch.map((job) => job.id));
    const behind = [...this.waiters.entries()].filter(([id, waiter]) => !inBatch.has(id) && scopeKey(waiter.scope) === key);
    if (behind.length === 0) return;
    try {
      await this.deps.storage.transaction('write', 'removing adds that cannot be worked', async (tx) => {
        for (const [id] of behind) {
          const current = await tx.job(id);
          if (current?.status !== 'queued') continue;
          await tx.deleteJob(id);
          await tx.deleteMessages(current.messageIds);
        }
      });
    } finally {
      for (const [, waiter] of behind) waiter.reject(error);
    }
  }

  /** A job this process waits for, finished or failed by another worker; undefined while it is still to come. */
  private async settledElsewhere(id: string, state: JobRecord | undefined): Promise<JobResult | undefined> {
    if (!state) throw new EngramError('NOT_FOUND', `the queued add ${id} is gone: its scope was forgotten or the store was reset`);
    if (state.status === 'done') return state.result ?? { results: [], droppedOperations: 0 };
    if (state.status === 'cancelled') throw new EngramError('NOT_FOUND', `the queued add ${id} was cancelled`);
    if (state.status === 'failed' || (state.status === 'queued' && state.error)) {
      // Another worker tried it and failed: as for any waited add, nothing of it stays.
      if (await this.removeUnlessStarted(id)) throw jobFailure(state.error);
    }
    return undefined;
  }

  /** Done and cancelled jobs hold the texts of their results: they are kept `keepFinishedMs`, not forever. */
  private async pruneFinished(): Promise<void> {
    const now = Date.now();
    if (now - this.prunedAt < Math.min(PRUNE_EVERY_MS, this.settings.keepFinishedMs)) return;
    this.prunedAt = now;
    await this.deps.storage.transaction('write', 'removing old finished adds', (tx) => tx.pruneJobs(now - this.settings.keepFinishedMs));
  }

  private async renew(batch: JobRecord[]): Promise<void> {
    await this.deps.storage.transaction('write', 'renewing a lease', async (tx) => {
      const now = Date.now();
      for (const job of batch) {
        const current = await tx.job(job.id);
        if (current?.status === 'running' && current.leaseOwner === this.owner) {
          await tx.updateJob(job.id, { leaseExpiresAt: now + this.settings.leaseMs, updatedAt: now });
        }
      }
    });
  }

  private finished(job: JobRecord): void {
    for (const listener of this.listeners) {
      try {
        listener(job);
      } catch {
        // A listener's failure is its own; the queue goes on.
      }
    }
  }

  /** The worker cannot work (no model, store closing, locked): it pauses a while instead of spinning. */
  private workerTrouble(error: unknown): void {
    this.pausedUntil = Date.now() + Math.max(this.settings.pollMs, 5_000);
    this.onWorkerError(error);
  }
}

/**
 * Whether a lease's owner was a process of this machine that no longer runs
 * (killed, crashed): its job need not wait for the lease to run out, so a
 * desktop app restarted after a crash resumes at once. Taking a lease early is
 * always safe: the first worker's changes land only while the lease is its own.
 */
function ownerIsGone(owner: string | null): boolean {
  const [host, pid] = owner?.split(':') ?? [];
  if (host !== hostname() || pid === undefined || !/^\d+$/u.test(pid) || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    // EPERM: a process of another user holds that pid, so it runs.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function jobFailure(error: JobError | null): EngramError {
  const code = (error?.code ?? 'LLM_FAILED') as EngramError['code'];
  return new EngramError(code, error?.message ?? 'the queued add failed');
}

function closed(): EngramError {
  return new EngramError('CLOSED', 'this Memory was closed while waiting for a queued add; the add stays queued');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
