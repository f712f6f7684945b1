/**
 * A process of the queue crash test (test/queue-kill.test.ts), on a SQLite
 * file or a PostgreSQL URL:
 *   queue-process.ts <store> produce <report-file> <first> <count>
 *     queues adds (wait: false) of messages first..first+count-1 over three
 *     scopes, appending `<jobId> <message>` to the report after each one is
 *     acknowledged;
 *   queue-process.ts <store> work <report-file>
 *     works the queue forever (until killed) with an LLM that turns each new
 *     user line into "Fact <line> #<nonce>": a fact applied twice would be
 *     two memories, since the nonce differs per call.
 * ENGRAM_TEST_LLM_DELAY_MS and ENGRAM_TEST_LEASE_MS change the LLM's delay
 * (default 5-45 ms) and the lease (default 400 ms).
 */
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Memory, type LlmRequest } from '../../src/index.js';
import { HashingEmbedder } from './hashing-embedder.js';

const [store, role, report, firstText, countText] = process.argv.slice(2) as [string, string, string, string?, string?];
export const QUEUE_SCOPES = [{ userId: 'ann' }, { userId: 'ben' }, { userId: 'ann', agentId: 'coach' }];

const llm = {
  id: 'test/nonce-facts',
  async complete(request: LlmRequest): Promise<string> {
    await sleep(Number(process.env.ENGRAM_TEST_LLM_DELAY_MS ?? 5 + Math.random() * 40));
    const news = (request.messages.at(-1)?.content ?? '').split('NEW:\n')[1] ?? '';
    const facts = [...news.matchAll(/user: (.*)$/gmu)].map((m) => ({ event: 'ADD', text: `Fact ${m[1]} #${randomUUID().slice(0, 8)}`, kind: 'semantic' }));
    return JSON.stringify({ operations: facts });
  },
};

const memory = await Memory.open({
  path: store,
  embedder: new HashingEmbedder(16, 'test/queue-kill'),
  llm: role === 'work' ? llm : null,
  busyTimeoutMs: 30_000,
  // Short leases so a killed worker's jobs come back fast; attempts unbounded: this test is about crashes.
  queue: { worker: role === 'work', leaseMs: Number(process.env.ENGRAM_TEST_LEASE_MS ?? 400), pollMs: 100, maxAttempts: 1_000, batchMessages: 4 },
});

if (role === 'produce') {
  const first = Number(firstText);
  for (let i = first; i < first + Number(countText); i++) {
    const text = `message ${i}`;
    const { jobId } = await memory.add(text, { ...QUEUE_SCOPES[i % QUEUE_SCOPES.length], wait: false });
    appendFileSync(report, `${jobId} ${i}\n`);
  }
  await memory.close();
} else {
  // What troubles a worker goes to the report, so a failed crash run says why (a run is not repeated at will).
  memory.onWorkerError((error) => appendFileSync(report, `trouble ${process.pid} ${String(error).replace(/\s+/gu, ' ').slice(0, 300)}\n`));
  appendFileSync(report, `worker ${process.pid} started\n`);
  // The queue's timers are unref'd (a library must not hold a process open), as `engram worker` knows:
  // without this timer an idle worker, between polls with nothing claimed, would exit with code 13.
  setInterval(() => undefined, 60_000);
}
