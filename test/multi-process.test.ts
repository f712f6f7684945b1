import { collect } from './support/collect.js';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Memory } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { closeAfterTest, tempDbPath, tempDir } from './support/test-memory.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKER = join(root, 'test/support/chaos-worker.ts');
const OPS = Number(process.env.ENGRAM_WORKER_OPS ?? 500);

function runWorker(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

type Entry = { op: string; id?: string; event?: string; text?: string; code?: string; scope?: object; message?: string };
const readLog = (file: string): Entry[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Entry);

describe('several processes on one file', () => {
  it(`4 workers × ${OPS} mixed operations: no error, no lost write, no duplicate, invariants hold`, { timeout: 240_000 }, async () => {
    const path = tempDbPath();
    const setup = await Memory.open({ path, embedder: new HashingEmbedder(16, 'chaos/a') });
    await setup.close();
    const dir = tempDir();
    const reports = [1, 2, 3, 4].map((w) => join(dir, `worker-${w}.jsonl`));
    for (const r of reports) writeFileSync(r, '');
    const codes = await Promise.all(reports.map((report, w) => runWorker([path, String(w + 1), String(OPS), report])));

    const entries = reports.flatMap(readLog);
    expect(entries.filter((e) => e.op === 'error')).toEqual([]);
    expect(codes).toEqual([0, 0, 0, 0]);

    const memory = closeAfterTest(await Memory.open({ path, embedder: new HashingEmbedder(16, 'chaos/a') }));
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });

    // No lost write: every memory a worker added or updated last is there with its last text, unless deleted since.
    const removed = new Set(entries.filter((e) => e.op === 'delete').map((e) => e.id));
    const lastText = new Map<string, string>();
    for (const e of entries) if ((e.op === 'add' && e.event === 'ADD') || e.op === 'update') lastText.set(e.id as string, e.text as string);
    const everything = (await collect(memory.export())).filter((r) => r.type === 'memory');
    const byId = new Map(everything.map((r) => [r.id, r]));
    for (const [id, text] of lastText) {
      expect(byId.has(id), `memory ${id} was lost`).toBe(true);
      const record = byId.get(id)!;
      const last = record.versions.at(-1)!;
      if (!removed.has(id) && last.validTo === undefined) expect(record.versions.map((v) => v.memory)).toContain(text);
    }
    // No duplicate: within each exact scope, no two current memories say the same thing.
    const current = everything.filter((r) => r.versions.at(-1)!.validTo === undefined);
    const keys = current.map((r) => JSON.stringify([r.userId, r.agentId, r.runId, r.versions.at(-1)!.memory.toLowerCase()]));
    expect(new Set(keys).size).toBe(keys.length);
    // Workers really raced on the shared scope.
    expect(entries.filter((e) => e.op === 'add' && e.event === 'NONE').length).toBeGreaterThan(0);
  });
});
