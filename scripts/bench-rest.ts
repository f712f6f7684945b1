/**
 * The REST server's cost over the library (a script, not a test):
 *   npm run bench:rest                       # 1,000 memories in one scope, 300 requests per row
 *   npm run bench:rest -- --memories 10000 --requests 500
 *
 * Prints p50 / p95 latency in ms on loopback, per row:
 * - memory.search in process (the baseline), Engram's POST /search, the hosted
 *   API's POST /v3/memories/search/, and the official mem0ai client's search();
 * - an add as said (infer: false) in process, over POST /v3/memories/add/;
 * - a page of 100 over POST /v3/memories/ (list and count).
 * The test embedder (GloVe, 100 dimensions) keeps the model's share small,
 * so the figures show what HTTP, Hono and the wire mapping add.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Memory } from '../src/index.js';
import { startServer } from '../src/server/start-server.js';
import { fmt, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { memories: { type: 'string', default: '1000' }, requests: { type: 'string', default: '300' } } });
const memories = Number(values.memories);
const requests = Number(values.requests);
const TOKEN = 'bench-token-0123456789abcdef';
const random = seededRandom(7);

const memory = await Memory.open({ path: join(mkdtempSync(join(tmpdir(), 'engram-bench-rest-')), 'bench.db'), embedder: { model: join(root, 'models/test/embedding') }, llm: null });
for (let i = 0; i < memories; i += 100) {
  await memory.add(
    Array.from({ length: Math.min(100, memories - i) }, (_, j) => ({ role: 'user' as const, content: sentence(i + j, random) })),
    { userId: 'fay', infer: false },
  );
}
const server = await startServer(memory, { port: 0, token: TOKEN });
process.env.MEM0_TELEMETRY = 'false';
process.env.MEM0_DIR = mkdtempSync(join(tmpdir(), 'engram-bench-mem0-'));
const { MemoryClient } = await import('mem0ai');
const client = new MemoryClient({ apiKey: TOKEN, host: server.url });
await client.ping();

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const post = async (path: string, body: unknown) => {
  const reply = await fetch(server.url + path, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!reply.ok) throw new Error(`${path}: ${reply.status} ${await reply.text()}`);
  return reply.json();
};
const queries = Array.from({ length: requests }, (_, i) => sentence(memories + i, random).split(' ').slice(0, 6).join(' '));

async function timed(name: string, run: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 30; i++) await run(i); // warm-up (the first searches of a scope build its in-memory index)
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const start = performance.now();
    await run(i);
    samples.push(performance.now() - start);
  }
  console.log(`${name.padEnd(46)} p50 ${fmt(percentile(samples, 50)).padStart(7)} ms   p95 ${fmt(percentile(samples, 95)).padStart(7)} ms`);
}

console.log(`REST bench: ${memories} memories in one scope, ${requests} requests per row, loopback, Node ${process.version}`);
await timed('search, in process', (i) => memory.search(queries[i] as string, { userId: 'fay' }));
await timed('search, POST /search', (i) => post('/search', { query: queries[i], user_id: 'fay' }));
await timed('search, POST /v3/memories/search/', (i) => post('/v3/memories/search/', { query: queries[i], filters: { user_id: 'fay' } }));
await timed('search, mem0ai client', (i) => client.search(queries[i] as string, { filters: { user_id: 'fay' } }));
await timed('add as said, in process', (i) => memory.add(`bench in process ${i}`, { userId: 'bench-a', infer: false }));
await timed('add as said, POST /v3/memories/add/', (i) => post('/v3/memories/add/', { messages: `bench over http ${i}`, user_id: 'bench-b', infer: false }));
await timed('page of 100 with count, POST /v3/memories/', () => post('/v3/memories/?page=2&page_size=100', { filters: { user_id: 'fay' } }));

await server.close();
await memory.close();
