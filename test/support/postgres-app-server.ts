/**
 * One "app server" for test/postgres-multi-process.test.ts: a process that
 * opens Engram on a PostgreSQL URL and runs 4 concurrent workers in 3 scopes
 * shared with the other process(es), in two phases the test starts in all
 * processes at once:
 * - mixed: seeded random adds (texts from a small pool), updates to new
 *   unique texts and deletes of memories the scope has at that moment;
 * - burst: every worker adds the same fresh texts in every scope, text k at
 *   the same wall-clock moment in every process, and nothing deletes them: the
 *   processes race to store each one, and a duplicate would stay to the end.
 *
 * Usage: postgres-app-server.ts <postgres-url> <name> <seed> <operations-per-worker>
 * Talks over stdio: prints READY once open, runs the mixed phase on a GO line,
 * prints MIXED-DONE, runs the burst on a `BURST <epoch-ms>` line (when text 0
 * starts; text k starts BURST_STEP_MS × k later), and at the end prints
 * `REPORT <json>`: every operation the store acknowledged (or refused with
 * NOT_FOUND), in each worker's order. Any other failure is reported as an error.
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EngramError, Memory } from '../../src/index.js';
import { HashingEmbedder } from './hashing-embedder.js';
import { pick, seededRandom } from './seeded-random.js';

export const APP_SERVER_EMBEDDER = { dimension: 16, id: 'test/pg-app-server' };
export const APP_SERVER_SCOPES = ['u1', 'u2', 'u3'];
/** Few texts, so that several workers in both processes add the same one in the same scope at once. */
export const APP_SERVER_TEXTS = ['likes green tea', 'lives in Berlin', 'plays the violin', 'knee hurts when running', 'takes metformin'];
export const WORKERS_PER_APP_SERVER = 4;
/** Added by every worker in every scope in the burst phase. */
export const BURST_TEXTS = Array.from({ length: 8 }, (_, k) => `shared fact number ${k}`);
const BURST_STEP_MS = 150;

export type AppServerOp =
  | { op: 'add'; worker: number; userId: string; text: string; id: string; event: 'ADD' | 'NONE'; burst?: true }
  | { op: 'update'; worker: number; id: string; text: string; code?: 'NOT_FOUND' }
  | { op: 'delete'; worker: number; id: string; code?: 'NOT_FOUND' }
  | { op: 'error'; worker: number; doing: string; code?: string; message: string };

export type AppServerReport = { name: string; ops: AppServerOp[]; ms: number };

async function main(): Promise<void> {
  const [url, name, seedText, countText] = process.argv.slice(2) as [string, string, string, string];
  const count = Number(countText);
  const embedder = new HashingEmbedder(APP_SERVER_EMBEDDER.dimension, APP_SERVER_EMBEDDER.id);
  const memory = await Memory.open({ path: url, embedder, llm: null });
  const lines = commands();
  process.stdout.write('READY\n');
  await lines.next('GO');

  const ops: AppServerOp[] = [];
  const started = performance.now();
  const failed = (worker: number, doing: string, error: unknown) =>
    ops.push({ op: 'error', worker, doing, code: error instanceof EngramError ? error.code : undefined, message: String(error) });

  const mixed = async (w: number) => {
    const random = seededRandom(Number(seedText) * 100 + w);
    for (let i = 0; i < count; i++) {
      const userId = pick(random, APP_SERVER_SCOPES);
      const roll = random();
      let doing = 'add';
      try {
        if (roll < 0.5) {
          const text = pick(random, APP_SERVER_TEXTS);
          const { results } = await memory.add(text, { userId, infer: false });
          for (const r of results) ops.push({ op: 'add', worker: w, userId, text, id: r.id, event: r.event as 'ADD' | 'NONE' });
          continue;
        }
        // Update or delete one of the scope's current memories, as seen now: another worker may change it first.
        doing = 'getAll';
        const { results: current } = await memory.getAll({ userId, limit: 1000 });
        if (current.length === 0) continue;
        const id = pick(random, current).id;
        if (roll < 0.75) {
          doing = 'update';
          const text = `${name} worker ${w} op ${i} rewrote this`;
          await memory.update(id, text).then(
            () => ops.push({ op: 'update', worker: w, id, text }),
            (error: unknown) => {
              if (!(error instanceof EngramError && error.code === 'NOT_FOUND')) throw error;
              ops.push({ op: 'update', worker: w, id, text, code: 'NOT_FOUND' });
            },
          );
        } else {
          doing = 'delete';
          await memory.delete(id).then(
            () => ops.push({ op: 'delete', worker: w, id }),
            (error: unknown) => {
              if (!(error instanceof EngramError && error.code === 'NOT_FOUND')) throw error;
              ops.push({ op: 'delete', worker: w, id, code: 'NOT_FOUND' });
            },
          );
        }
      } catch (error) {
        failed(w, doing, error);
      }
    }
  };

  const burst = async (w: number, start: number) => {
    for (const [k, text] of BURST_TEXTS.entries()) {
      const at = start + k * BURST_STEP_MS;
      if (Date.now() < at) await new Promise((resolve) => setTimeout(resolve, at - Date.now()));
      for (let s = 0; s < APP_SERVER_SCOPES.length; s++) {
        const userId = APP_SERVER_SCOPES[(s + w) % APP_SERVER_SCOPES.length] as string;
        try {
          const { results } = await memory.add(text, { userId, infer: false });
          for (const r of results) ops.push({ op: 'add', worker: w, userId, text, id: r.id, event: r.event as 'ADD' | 'NONE', burst: true });
        } catch (error) {
          failed(w, 'burst add', error);
        }
      }
    }
  };

  const workers = Array.from({ length: WORKERS_PER_APP_SERVER }, (_, w) => w);
  await Promise.all(workers.map(mixed));
  process.stdout.write('MIXED-DONE\n');
  const start = Number((await lines.next('BURST')).split(' ')[1]);
  await Promise.all(workers.map((w) => burst(w, start)));
  const ms = Math.round(performance.now() - started);
  await memory.close();
  const report: AppServerReport = { name, ops, ms };
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
}

/** The lines the test sends on stdin, awaited one by one. */
function commands(): { next(command: string): Promise<string> } {
  const received: string[] = [];
  let wake = () => {};
  createInterface({ input: process.stdin }).on('line', (line) => {
    received.push(line.trim());
    wake();
  });
  return {
    async next(command) {
      while (received.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const line = received.shift() as string;
      if (line.split(' ')[0] !== command) throw new Error(`expected ${command} on stdin, got ${line}`);
      return line;
    },
  };
}

// Imported by the test for the constants and types only; run as a script, it serves.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`app server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
