/**
 * A/B: the same store bench on two checkouts in one process, interleaved
 * round by round, so a busy machine slows both alike. Usage:
 *   tsx scripts/bench-ab.ts <other checkout>   (e.g. a `git worktree` of main)
 * Prints, per size, the median over rounds of each version's p50 search time
 * (query vectors precomputed) and of its add throughput (one message per call),
 * and the median of the per-round ratios (the figure least moved by a busy machine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';

type Lib = typeof import('../src/index.js');
const here = fileURLToPath(new URL('..', import.meta.url));
const other = resolve(process.argv[2] ?? '');
const TEST_MODEL = join(here, 'models/test/embedding');
const ROUNDS = Number(process.env.AB_ROUNDS ?? 7);

async function load(root: string): Promise<Lib> {
  return (await import(pathToFileURL(join(root, 'src/index.ts')).href)) as Lib;
}

async function main(): Promise<void> {
  const versions = [
    { name: 'before', lib: await load(other) },
    { name: 'after', lib: await load(here) },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'engram-ab-'));
  try {
    for (const size of [1_000, 10_000]) {
      const random = seededRandom(size);
      const texts = Array.from({ length: size }, (_, i) => sentence(i, random));
      const queries = Array.from({ length: 200 }, (_, i) => sentence(size + i, random));
      const embedder = new versions[1]!.lib.TransformersEmbedder({ model: TEST_MODEL });
      const all = [...texts, ...queries, ...Array.from({ length: 200 * ROUNDS * 2 }, (_, i) => sentence(size * 10 + i, random))];
      const vectors = new Map<string, Float32Array>();
      for (let i = 0; i < all.length; i += 256) {
        const chunk = all.slice(i, i + 256);
        (await embedder.embed(chunk)).forEach((v, j) => vectors.set(chunk[j] as string, v));
      }
      const precomputed = { id: embedder.id, dimension: embedder.dimension, embed: async (t: string[]) => t.map((x) => vectors.get(x) ?? (vectors.values().next().value as Float32Array)) };
      const memories = [];
      for (const v of versions) {
        const memory = await v.lib.Memory.open({ path: join(dir, `${v.name}-${size}.db`), embedder: precomputed });
        for (let i = 0; i < size; i += 100) await memory.add(texts.slice(i, i + 100).map((content) => ({ role: 'user' as const, content })), { userId: 'bench', infer: false });
        await memory.search('warm', { userId: 'bench' });
        memories.push(memory);
      }
      const search: number[][] = versions.map(() => []);
      const add: number[][] = versions.map(() => []);
      let next = 0;
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, memory] of memories.entries()) {
          const times: number[] = [];
          for (const q of queries) {
            const start = performance.now();
            await memory.search(q, { userId: 'bench', limit: 10 });
            times.push(performance.now() - start);
          }
          search[i]!.push(percentile(times, 50));
          const adds: number[] = [];
          for (let k = 0; k < 200; k++) {
            const text = all[size + 200 + next++] as string;
            const start = performance.now();
            await memory.add(text, { userId: 'bench', infer: false });
            adds.push(performance.now() - start);
          }
          add[i]!.push(1000 / percentile(adds, 50));
        }
      }
      for (const memory of memories) await memory.close();
      const ratio = (a: number[], b: number[]) => percentile(a.map((x, r) => x / (b[r] as number)), 50);
      console.log(
        `${size.toLocaleString('en-US')} memories: after / before, median of the rounds' ratios: search p50 ×${fmt(ratio(search[1]!, search[0]!), 3)}, adds/s ×${fmt(ratio(add[1]!, add[0]!), 3)}`,
      );
      for (const [i, v] of versions.entries()) {
        console.log(`${size.toLocaleString('en-US')} memories, ${v.name}: search p50 ${fmt(percentile(search[i]!, 50))} ms (rounds ${search[i]!.map((x) => fmt(x)).join(' ')}), add ${Math.round(percentile(add[i]!, 50))}/s at p50 latency`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
