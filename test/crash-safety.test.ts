import { collect } from './support/collect.js';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EngramError, Memory } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { seededRandom } from './support/seeded-random.js';
import { tempDbPath, tempDir } from './support/test-memory.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKER = join(root, 'test/support/chaos-worker.ts');
// 30 kills by default keep the suite short; CI runs the long loop (ENGRAM_CRASH_KILLS=100 in .ci/run).
const KILLS = Number(process.env.ENGRAM_CRASH_KILLS ?? 30);
const SEED = Number(process.env.ENGRAM_CRASH_SEED ?? 77);

async function openAny(path: string): Promise<Memory> {
  for (const id of ['chaos/a', 'chaos/b']) {
    try {
      return await Memory.open({ path, embedder: new HashingEmbedder(16, id), llm: null });
    } catch (error) {
      if (!(error instanceof EngramError) || error.code !== 'EMBEDDING_MISMATCH') throw error;
    }
  }
  throw new Error('no embedder fits');
}

/** Starts a worker that runs random operations forever, waits until it is working, then kills it with SIGKILL after `afterMs`. */
async function killMidway(args: string[], report: string, afterMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for (let waited = 0; statSync(report).size === 0 && waited < 10_000; waited += 10) await sleep(10);
  await sleep(afterMs);
  child.kill('SIGKILL');
  await exited;
}

describe(`crash safety (seed ${SEED})`, () => {
  it(`the file survives ${KILLS} SIGKILLs in the middle of add, update, delete, deleteAll, import and reindex`, { timeout: 600_000 }, async () => {
    const random = seededRandom(SEED);
    const dir = tempDir();
    const path = tempDbPath();
    const first = await Memory.open({ path, embedder: new HashingEmbedder(16, 'chaos/a'), llm: null });
    // An export to import again and again (idempotent, so only the first run adds).
    const source = await Memory.open({ path: join(dir, 'source.db'), embedder: new HashingEmbedder(16, 'chaos/a') });
    await source.add(
      Array.from({ length: 60 }, (_, i) => ({ role: 'user' as const, content: `imported fact ${i}` })),
      { userId: 'imported', infer: false },
    );
    const exportFile = join(dir, 'export.jsonl');
    writeFileSync(exportFile, (await collect(source.export())).map((r) => JSON.stringify(r)).join('\n'));
    await source.close();
    await first.close();

    const seen = new Map<string, number>();
    for (let kill = 0; kill < KILLS; kill++) {
      const report = join(dir, `report-${kill}.jsonl`);
      writeFileSync(report, '');
      await killMidway([path, String(SEED * 1000 + kill), 'forever', report, exportFile], report, Math.floor(random() * 150));
      for (const line of readFileSync(report, 'utf8').split('\n').filter(Boolean)) {
        const op = (JSON.parse(line) as { op: string }).op;
        seen.set(op, (seen.get(op) ?? 0) + 1);
      }
      const memory = await openAny(path);
      const { ok, problems } = await memory.verify();
      expect(problems, `seed ${SEED}, kill ${kill}`).toEqual([]);
      expect(ok).toBe(true);
      await memory.close();
    }
    // The kills landed among every kind of write.
    for (const op of ['add', 'update', 'delete', 'deleteAll', 'import', 'reindex']) expect(seen.get(op) ?? 0, `${op} never ran`).toBeGreaterThan(0);
    expect(seen.get('error')).toBeUndefined();
    console.log(`crash safety, seed ${SEED}: ${KILLS} kills; completed operations ${JSON.stringify(Object.fromEntries(seen))}`);
  });
});
