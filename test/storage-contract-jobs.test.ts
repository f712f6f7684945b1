import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobChange, JobRecord, NewJob } from '../src/storage/job-records.js';
import type { Scope } from '../src/schema.js';
import type { Storage } from '../src/storage/storage.js';
import { ENGINES } from './support/storage-engines.js';

/** The storage contract of the extraction queue's records (see storage-contract.test.ts for the rest), on every engine. */

const ALICE = { userId: 'alice' };
const BOB = { userId: 'bob' };

/** Past 2^31 ms, so a BIGINT that came back as a string or a truncated int would show. */
const T = 1_767_225_600_000;

function job(id: string, scope: Scope, extra: Partial<NewJob> = {}): NewJob {
  return { id, scope, kind: 'extract', messageIds: [], metadata: {}, createdAt: T, ...extra };
}

/** What insertJob stores besides the job itself. */
function queued(newJob: NewJob): JobRecord {
  return { expiresAt: null, ...newJob, status: 'queued', attempts: 0, notBefore: 0, leaseOwner: null, leaseExpiresAt: null, error: null, result: null, updatedAt: newJob.createdAt, finishedAt: null };
}

describe.each(ENGINES)('storage contract: $name', (engine) => {
  let storage: Storage;

  beforeEach(async () => {
    storage = (await engine.open()).storage;
    await storage.bindEmbeddingModel('contract-model', 8);
  });
  afterEach(async () => {
    await storage.close();
  });

  const write = <T>(work: Parameters<Storage['transaction']>[2] extends (tx: infer X) => Promise<unknown> ? (tx: X) => Promise<T> : never) =>
    storage.transaction('write', 'testing', work);
  const read = <T>(work: Parameters<Storage['transaction']>[2] extends (tx: infer X) => Promise<unknown> ? (tx: X) => Promise<T> : never) =>
    storage.transaction('read', 'testing', work);

  describe('jobs repository', () => {
    const ids = (jobs: JobRecord[]) => jobs.map((j) => j.id);
    const A = { userId: 'a' };
    const AX = { userId: 'a', agentId: 'x' };
    const B = { userId: 'b' };
    const C = { userId: 'c' };
    const running = { status: 'running', attempts: 1, leaseOwner: 'worker-1', leaseExpiresAt: T + 60_000, updatedAt: T + 1 } as const;
    const finished = (status: 'done' | 'failed' | 'cancelled') => ({
      status,
      leaseOwner: null,
      leaseExpiresAt: null,
      finishedAt: T + 2,
      updatedAt: T + 2,
      ...(status === 'done' ? { result: { results: [], droppedOperations: 0 } } : {}),
      ...(status === 'failed' ? { error: { code: 'LLM_FAILED', message: 'no answer' } } : {}),
    });

    /** Inserts jobs in this order (seq order), with createdAt falling and ids out of alphabetical order, so only seq explains an order. */
    async function insertInOrder(list: [string, Scope][]): Promise<void> {
      await write(async (tx) => {
        for (const [i, [id, scope]] of list.entries()) await tx.insertJob(job(id, scope, { createdAt: T - i }));
      });
    }

    it('stores a job queued and reads it back whole (scope, kind, message ids, metadata, BIGINT times as numbers); an id is stored once', async () => {
      const scope = { userId: 'alice', agentId: 'coach', runId: 'r1' };
      const messageIds = await write((tx) =>
        tx.appendMessages(scope, [
          { role: 'user', name: 'Al', content: 'I moved to Porto', createdAt: T },
          { role: 'assistant', name: null, content: 'noted', createdAt: T },
        ], T),
      );
      const stored = job('round-trip', scope, {
        kind: 'procedure',
        messageIds,
        metadata: { topic: 'moving', n: 1.5, nested: { list: [1, null, 'x'] }, "it's": 'café 🧠' },
        createdAt: T + 123,
      });
      await write((tx) => tx.insertJob(stored));
      const [found, missing] = await read(async (tx) => [await tx.job(stored.id), await tx.job('no-such-job')]);
      expect(found).toEqual(queued(stored));
      expect(missing).toBeUndefined();
      const agentOnly = job('agent-only', { agentId: 'coach' });
      await write((tx) => tx.insertJob(agentOnly));
      expect(await read((tx) => tx.job(agentOnly.id))).toEqual(queued(agentOnly));
      await expect(write((tx) => tx.insertJob(job(stored.id, scope)))).rejects.toThrow();
      expect(await storage.verify()).toEqual([]);
    });

    it('heads: one per exact scope with unfinished jobs, its oldest unfinished one, in seq order; a running head still holds its scope', async () => {
      await insertInOrder([
        ['a1', A],
        ['ax1', AX],
        ['a2', A],
        ['c1', C],
        ['b1', B],
        ['b2', B],
        ['ax2', AX],
        ['c2', C],
      ]);
      await write(async (tx) => {
        await tx.updateJob('a1', running);
        await tx.updateJob('c1', finished('done'));
        await tx.updateJob('c2', finished('cancelled'));
        await tx.updateJob('b1', finished('failed'));
      });
      await read(async (tx) => {
        const heads = await tx.jobHeads(10);
        expect(ids(heads)).toEqual(['a1', 'ax1', 'b2']);
        expect(heads[0]).toMatchObject({ status: 'running', leaseOwner: 'worker-1', leaseExpiresAt: T + 60_000, attempts: 1 });
        expect(ids(await tx.jobHeads(2))).toEqual(['a1', 'ax1']);
        expect(ids(await tx.jobHeads(10, A))).toEqual(['a1']);
        expect(ids(await tx.jobHeads(10, AX))).toEqual(['ax1']);
        expect(ids(await tx.jobHeads(10, B))).toEqual(['b2']);
        expect(ids(await tx.jobHeads(10, C))).toEqual([]);
        expect(ids(await tx.jobHeads(10, { userId: 'a', runId: 'x' }))).toEqual([]);
        expect(ids(await tx.unfinishedJobs(A, 10))).toEqual(['a1', 'a2']);
        expect(ids(await tx.unfinishedJobs(AX, 10))).toEqual(['ax1', 'ax2']);
        expect(ids(await tx.unfinishedJobs(AX, 1))).toEqual(['ax1']);
        expect(ids(await tx.unfinishedJobs(B, 10))).toEqual(['b2']);
        expect(ids(await tx.unfinishedJobs(C, 10))).toEqual([]);
      });

      // The running head finishes: the next of its scope becomes the head, and heads stay in seq order across scopes.
      await write((tx) => tx.updateJob('a1', finished('done')));
      expect(ids(await read((tx) => tx.jobHeads(10)))).toEqual(['ax1', 'a2', 'b2']);
      // A scope's head is its own: {a, x}'s jobs are never the head of {a}.
      await write((tx) => tx.updateJob('a2', finished('cancelled')));
      await read(async (tx) => {
        expect(ids(await tx.jobHeads(10, A))).toEqual([]);
        expect(ids(await tx.unfinishedJobs(A, 10))).toEqual([]);
        expect(ids(await tx.jobHeads(10, AX))).toEqual(['ax1']);
        expect(ids(await tx.jobHeads(10))).toEqual(['ax1', 'b2']);
      });
    });

    it('lists jobs newest first, a scope and everything under it, by status, paged; counts every status', async () => {
      const zeros = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
      expect(await read((tx) => tx.jobCounts())).toEqual(zeros);
      await insertInOrder([
        ['user', { userId: 'alice' }],
        ['agent', { userId: 'alice', agentId: 'coach' }],
        ['bob', BOB],
        ['run', { userId: 'alice', agentId: 'coach', runId: 'r1' }],
        ['agent-only', { agentId: 'coach' }],
        ['user-run', { userId: 'alice', runId: 'r1' }],
      ]);
      await write(async (tx) => {
        await tx.updateJob('agent', finished('done'));
        await tx.updateJob('run', running);
        await tx.updateJob('bob', finished('failed'));
      });
      await read(async (tx) => {
        const page = { limit: 10, offset: 0 };
        expect(ids(await tx.listJobs(page))).toEqual(['user-run', 'agent-only', 'run', 'bob', 'agent', 'user']);
        expect(ids(await tx.listJobs({ ...page, scope: ALICE }))).toEqual(['user-run', 'run', 'agent', 'user']);
        expect(ids(await tx.listJobs({ ...page, scope: { agentId: 'coach' } }))).toEqual(['agent-only', 'run', 'agent']);
        expect(ids(await tx.listJobs({ ...page, scope: { userId: 'alice', runId: 'r1' } }))).toEqual(['user-run', 'run']);
        expect(ids(await tx.listJobs({ ...page, scope: { userId: 'carol' } }))).toEqual([]);
        expect(ids(await tx.listJobs({ ...page, status: ['queued'] }))).toEqual(['user-run', 'agent-only', 'user']);
        expect(ids(await tx.listJobs({ ...page, status: ['done', 'failed'] }))).toEqual(['bob', 'agent']);
        expect(ids(await tx.listJobs({ ...page, scope: ALICE, status: ['queued', 'running'] }))).toEqual(['user-run', 'run', 'user']);
        expect(ids(await tx.listJobs({ ...page, status: [] }))).toEqual([]);
        expect(ids(await tx.listJobs({ limit: 2, offset: 1 }))).toEqual(['agent-only', 'run']);
        expect(ids(await tx.listJobs({ limit: 2, offset: 5 }))).toEqual(['user']);
        expect(ids(await tx.listJobs({ scope: ALICE, limit: 2, offset: 2 }))).toEqual(['agent', 'user']);

        expect(await tx.jobCounts()).toEqual({ queued: 3, running: 1, done: 1, failed: 1, cancelled: 0 });
        expect(await tx.jobCounts(ALICE)).toEqual({ queued: 2, running: 1, done: 1, failed: 0, cancelled: 0 });
        expect(await tx.jobCounts({ agentId: 'coach' })).toEqual({ queued: 1, running: 1, done: 1, failed: 0, cancelled: 0 });
        expect(await tx.jobCounts({ userId: 'carol' })).toEqual(zeros);
      });
    });

    it('updates only the fields a change names; null clears error and result; delete says whether there was a job', async () => {
      const messageIds = await write((tx) => tx.appendMessages(ALICE, [{ role: 'user', name: null, content: 'hi', createdAt: T }], T));
      const original = job('j', ALICE, { messageIds, metadata: { source: 'chat' } });
      await write((tx) => tx.insertJob(original));
      const after = async (change: JobChange) => {
        await write((t) => t.updateJob('j', change));
        return read((t) => t.job('j'));
      };

      let expected: JobRecord = queued(original);
      expected = { ...expected, status: 'running', attempts: 1, leaseOwner: 'w1', leaseExpiresAt: T + 30_000, updatedAt: T + 1 };
      expect(await after({ status: 'running', attempts: 1, leaseOwner: 'w1', leaseExpiresAt: T + 30_000, updatedAt: T + 1 })).toEqual(expected);

      const error = { code: 'LLM_FAILED', message: 'the model said nothing' };
      expected = { ...expected, status: 'queued', leaseOwner: null, leaseExpiresAt: null, notBefore: T + 5_000, error, updatedAt: T + 2 };
      expect(await after({ status: 'queued', leaseOwner: null, leaseExpiresAt: null, notBefore: T + 5_000, error, updatedAt: T + 2 })).toEqual(expected);

      // Only updatedAt: nothing else moves (error, attempts, notBefore stay).
      expected = { ...expected, updatedAt: T + 3 };
      expect(await after({ updatedAt: T + 3 })).toEqual(expected);

      const result = { results: [{ id: 'm1', memory: 'Lives in Porto', event: 'ADD' as const }], droppedOperations: 2 };
      expected = { ...expected, status: 'done', error: null, result, finishedAt: T + 4, updatedAt: T + 4 };
      expect(await after({ status: 'done', error: null, result, finishedAt: T + 4, updatedAt: T + 4 })).toEqual(expected);

      expected = { ...expected, result: null, finishedAt: null, status: 'cancelled', updatedAt: T + 5 };
      expect(await after({ status: 'cancelled', result: null, finishedAt: null, updatedAt: T + 5 })).toEqual(expected);

      expect(await write((t) => t.deleteJob('j'))).toBe(true);
      expect(await read((t) => t.job('j'))).toBeUndefined();
      expect(await write((t) => t.deleteJob('j'))).toBe(false);
    });

    it('forgetting a user removes their jobs at every level under them and no one else\'s, and says how many; clear removes every job', async () => {
      await insertInOrder([
        ['user', ALICE],
        ['agent', { userId: 'alice', agentId: 'coach' }],
        ['run', { userId: 'alice', agentId: 'coach', runId: 'r1' }],
        ['user-run', { userId: 'alice', runId: 'r2' }],
        ['bob', BOB],
        ['agent-only', { agentId: 'coach' }],
      ]);
      await write((tx) => tx.updateJob('agent', finished('done')));
      expect(await write((tx) => tx.purge(ALICE))).toEqual({ memories: 0, messages: 0, jobs: 4, entities: 0, relations: 0 });
      await read(async (tx) => {
        expect(ids(await tx.listJobs({ limit: 10, offset: 0 }))).toEqual(['agent-only', 'bob']);
        expect(await tx.job('run')).toBeUndefined();
        expect(ids(await tx.jobHeads(10))).toEqual(['bob', 'agent-only']);
      });
      expect(await write((tx) => tx.purge(ALICE))).toEqual({ memories: 0, messages: 0, jobs: 0, entities: 0, relations: 0 });
      expect(await write((tx) => tx.purge({ agentId: 'coach' }))).toEqual({ memories: 0, messages: 0, jobs: 1, entities: 0, relations: 0 });

      await insertInOrder([['again', ALICE]]);
      await write((tx) => tx.clear());
      await read(async (tx) => {
        expect(await tx.listJobs({ limit: 10, offset: 0 })).toEqual([]);
        expect(await tx.jobCounts()).toEqual({ queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 });
      });
    });

    it('reads logged messages by id in id order, skipping missing ones; deletes messages; recentMessages pages back before an id', async () => {
      // m3 is Bob's, between Alice's: ids are global, scopes are not.
      const [m1, m2, m3, m4, m5] = (await write(async (tx) => [
        ...(await tx.appendMessages(ALICE, [
          { role: 'user', name: 'Al', content: 'one', createdAt: T },
          { role: 'assistant', name: null, content: 'two', createdAt: T + 1 },
        ], T + 10)),
        ...(await tx.appendMessages(BOB, [{ role: 'user', name: null, content: 'bob', createdAt: T + 2 }], T + 10)),
        ...(await tx.appendMessages(ALICE, [
          { role: 'user', name: null, content: 'three', createdAt: T + 3 },
          { role: 'system', name: null, content: 'four', createdAt: T + 4 },
        ], T + 10)),
      ])) as [number, number, number, number, number];
      const missing = m5 + 1_000;
      await read(async (tx) => {
        expect(await tx.messagesById([m4, m1, missing, m3, m1])).toEqual([
          { id: m1, role: 'user', name: 'Al', content: 'one', createdAt: T },
          { id: m3, role: 'user', name: null, content: 'bob', createdAt: T + 2 },
          { id: m4, role: 'user', name: null, content: 'three', createdAt: T + 3 },
        ]);
        expect(await tx.messagesById([])).toEqual([]);
        expect(await tx.messagesById([missing])).toEqual([]);
        const contents = async (limit: number, beforeId?: number) => (await tx.recentMessages(ALICE, limit, beforeId)).map((m) => m.content);
        expect(await contents(10)).toEqual(['one', 'two', 'three', 'four']);
        expect(await contents(2)).toEqual(['three', 'four']);
        expect(await contents(2, m5)).toEqual(['two', 'three']);
        expect(await contents(10, m4)).toEqual(['one', 'two']);
        expect(await contents(10, m1)).toEqual([]);
        expect((await tx.recentMessages(ALICE, 1, m4))[0]).toEqual({ id: m2, role: 'assistant', name: null, content: 'two', createdAt: T + 1 });
      });
      await write((tx) => tx.deleteMessages([m2, m4, missing]));
      await write((tx) => tx.deleteMessages([]));
      await read(async (tx) => {
        expect((await tx.messagesById([m1, m2, m3, m4, m5])).map((m) => m.id)).toEqual([m1, m3, m5]);
        expect((await tx.recentMessages(ALICE, 10)).map((m) => m.content)).toEqual(['one', 'four']);
        expect((await tx.recentMessages(BOB, 10)).map((m) => m.content)).toEqual(['bob']);
      });
    });

    it('verify reports a waiting job whose messages are gone or in another scope, and a done job without a result', async () => {
      const [m1, m2] = (await write((tx) =>
        tx.appendMessages(ALICE, [
          { role: 'user', name: null, content: 'one', createdAt: T },
          { role: 'user', name: null, content: 'two', createdAt: T },
        ], T),
      )) as [number, number];
      await write(async (tx) => {
        await tx.insertJob(job('waiting', ALICE, { messageIds: [m1, m2] }));
        await tx.insertJob(job('failed', ALICE, { messageIds: [m2] }));
        await tx.insertJob(job('cancelled', ALICE, { messageIds: [m2] }));
        await tx.insertJob(job('done', ALICE, { messageIds: [m2] }));
        await tx.updateJob('failed', finished('failed'));
        await tx.updateJob('cancelled', finished('cancelled'));
        await tx.updateJob('done', finished('done'));
      });
      expect(await storage.verify()).toEqual([]);

      // Only jobs that may still run need their messages: finished and cancelled ones are not reported.
      await write((tx) => tx.deleteMessages([m2]));
      expect((await storage.verify()).sort()).toEqual(
        [`job failed waits for message ${m2}, which is not logged in its scope`, `job waiting waits for message ${m2}, which is not logged in its scope`].sort(),
      );

      // A message of another scope, even the one above, is not this job's: scopes are exact.
      await write(async (tx) => {
        await tx.deleteJob('waiting');
        await tx.deleteJob('failed');
        await tx.insertJob(job('agent-level', { userId: 'alice', agentId: 'coach' }, { messageIds: [m1] }));
      });
      expect(await storage.verify()).toEqual([`job agent-level waits for message ${m1}, which is not logged in its scope`]);

      await write(async (tx) => {
        await tx.deleteJob('agent-level');
        await tx.updateJob('done', { result: null, updatedAt: T + 9 });
      });
      expect(await storage.verify()).toEqual(['job done is done but holds no result']);
    });
    it('prunes done and cancelled jobs finished before an instant, never failed or unfinished ones', async () => {
      await write(async (tx) => {
        for (const id of ['old-done', 'old-cancelled', 'old-failed', 'new-done', 'waiting']) await tx.insertJob(job(id, ALICE));
        await tx.updateJob('old-done', { status: 'done', result: { results: [], droppedOperations: 0 }, finishedAt: T + 1, updatedAt: T + 1 });
        await tx.updateJob('old-cancelled', { status: 'cancelled', finishedAt: T + 2, updatedAt: T + 2 });
        await tx.updateJob('old-failed', { status: 'failed', error: { code: 'LLM_FAILED', message: 'x' }, finishedAt: T + 3, updatedAt: T + 3 });
        await tx.updateJob('new-done', { status: 'done', result: { results: [], droppedOperations: 0 }, finishedAt: T + 100, updatedAt: T + 100 });
      });
      expect(await write((tx) => tx.pruneJobs(T + 50))).toBe(2);
      expect(ids(await read((tx) => tx.listJobs({ limit: 10, offset: 0 }))).sort()).toEqual(['new-done', 'old-failed', 'waiting']);
    });
  });
});
