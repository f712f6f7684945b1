/**
 * A worker process for the concurrency and crash tests: opens one Engram file
 * and runs seeded random operations on it until told to stop (or killed).
 * Usage: chaos-worker.ts <db> <seed> <operations|forever> <report-file>
 * Every operation it completes is appended to the report file as one JSON
 * line, so the parent knows what must be in the store.
 */
import { collect } from './collect.js';
import { appendFileSync, readFileSync } from 'node:fs';
import { EngramError, Memory, type ExportRecord, type Scope } from '../../src/index.js';
import { HashingEmbedder } from './hashing-embedder.js';
import { pick, seededRandom } from './seeded-random.js';

const [db, seedText, countText, report, exportFile] = process.argv.slice(2);
const random = seededRandom(Number(seedText));
const count = countText === 'forever' ? Number.POSITIVE_INFINITY : Number(countText);
const EMBEDDERS = [new HashingEmbedder(16, 'chaos/a'), new HashingEmbedder(16, 'chaos/b')];
const SCOPES: Scope[] = [{ userId: 'shared' }, { userId: `w${seedText}` }, { userId: 'shared', agentId: 'bot' }, { runId: 'r1' }];
// Capitalized names: with the graph on, adds also write entities and mentions, which the kills interrupt too.
const WORDS = ['tea', 'coffee', 'knee', 'Berlin', 'violin', 'metformin', 'Anna', 'Acme'];

const log = (entry: object) => appendFileSync(report as string, `${JSON.stringify(entry)}\n`);

async function open(): Promise<Memory> {
  for (const embedder of EMBEDDERS) {
    try {
      return await Memory.open({ path: db as string, embedder, busyTimeoutMs: 20_000, llm: null, graph: true });
    } catch (error) {
      if (!(error instanceof EngramError) || error.code !== 'EMBEDDING_MISMATCH') throw error;
    }
  }
  throw new Error('no embedder fits');
}

async function main(): Promise<void> {
  let memory = await open();
  const mine: string[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    const scope = pick(random, SCOPES);
    if (roll < 0.5) {
      const text = `${pick(random, WORDS)} ${pick(random, WORDS)} ${Math.floor(random() * 20)}`;
      const { results } = await memory.add(text, { ...scope, infer: false });
      for (const r of results) {
        if (r.event === 'ADD') mine.push(r.id);
        log({ op: 'add', id: r.id, event: r.event, text, scope });
      }
    } else if (roll < 0.65 && mine.length > 0) {
      const id = pick(random, mine);
      const text = `updated ${i} by ${seedText}`;
      await memory.update(id, text).then(
        (item) => log({ op: 'update', id, text: item.memory }),
        (error: EngramError) => log({ op: 'update-failed', id, code: error.code }),
      );
    } else if (roll < 0.75 && mine.length > 0) {
      const id = mine.splice(Math.floor(random() * mine.length), 1)[0] as string;
      await memory.delete(id).then(
        () => log({ op: 'delete', id }),
        (error: EngramError) => log({ op: 'delete-failed', id, code: error.code }),
      );
    } else if (roll < 0.78) {
      const { deleted } = await memory.deleteAll(scope);
      log({ op: 'deleteAll', scope, deleted });
    } else if (roll < 0.8 && exportFile) {
      const lines = readFileSync(exportFile, 'utf8').split('\n');
      const result = await memory.import(lines);
      log({ op: 'import', result });
    } else if (roll < 0.81 && countText === 'forever') {
      await memory.close();
      const current = (await open()) as Memory;
      const bound = (await collect(current.export()))[0] as Extract<ExportRecord, { type: 'engram' }>;
      await current.close();
      const next = EMBEDDERS.find((e) => e.id !== bound.embeddingModel) as HashingEmbedder;
      await Memory.reindex({ path: db as string, embedder: next, batchSize: 8 });
      log({ op: 'reindex', to: next.id });
      memory = await open();
    } else {
      const { results } = await memory.search(pick(random, WORDS), { ...scope, limit: 5 });
      log({ op: 'search', found: results.length });
    }
  }
  await memory.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log({ op: 'error', message: String(error), code: error instanceof EngramError ? error.code : undefined });
    process.exit(1);
  },
);
