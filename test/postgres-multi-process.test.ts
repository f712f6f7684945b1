import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Memory, type ExportRecord } from 'engram-memory';
import { collect } from './support/collect.js';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { startDatabase } from './support/postgres-database.js';
import {
  APP_SERVER_EMBEDDER,
  APP_SERVER_SCOPES,
  BURST_TEXTS,
  WORKERS_PER_APP_SERVER,
  type AppServerOp,
  type AppServerReport,
} from './support/postgres-app-server.js';

/**
 * Several app servers on one PostgreSQL database: 2 processes × 4 concurrent
 * workers in 3 shared scopes, through the PostgreSQL engine. First mixed
 * writes (adds from a small pool of texts, updates to new unique texts,
 * deletes), then a burst in which every worker adds the same new texts at the
 * same moments. Each process reports what the store acknowledged; afterwards
 * every acknowledged write must be applied exactly once and in each worker's
 * order, each memory must say what its last write said, no text may be
 * current twice in a scope, and verify() must be clean.
 *
 * By default the database is an in-process PGlite served by
 * servePgliteSafely: real PostgreSQL SQL and wire protocol, but ONE session,
 * so transactions of different connections run one after another and never
 * conflict. That checks the multi-process wiring and the checks the write
 * paths make inside their transactions, not the engine's handling of
 * conflicts: without the unique index on current texts, or without re-running
 * a transaction that hit it, this run still passes. Point
 * ENGRAM_TEST_POSTGRES_URL at a real PostgreSQL with pgvector (a role that may
 * CREATE DATABASE) and the same test runs on a scratch database there, where
 * transactions overlap and removing either guard makes it fail.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const APP_SERVER = join(root, 'test/support/postgres-app-server.ts');
const OPS = Number(process.env.ENGRAM_PG_WORKER_OPS ?? 40);
const PROCESSES = 2;
const SEED = Number(process.env.ENGRAM_PG_SEED ?? 7);

type AppServer = {
  /** Resolves when the process printed this line (READY, MIXED-DONE). */
  printed(line: string): Promise<void>;
  send(line: string): void;
  report: Promise<AppServerReport>;
  kill(): void;
};

function startAppServer(url: string, name: string, seed: number): AppServer {
  const child = spawn(process.execPath, ['--import', 'tsx', APP_SERVER, url, name, String(seed), String(OPS)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const watchers: (() => void)[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    out += text;
    for (const watch of watchers) watch();
  });
  let exited = false;
  const report = new Promise<AppServerReport>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      exited = true;
      for (const watch of watchers) watch();
      const line = out.split('\n').find((l) => l.startsWith('REPORT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('REPORT '.length)) as AppServerReport);
      else reject(new Error(`app server ${name} exited with ${code}; its output: ${out.slice(-2000)}`));
    });
  });
  const printed = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const watch = () => {
        if (out.split('\n').includes(line)) resolve();
        else if (exited) reject(new Error(`app server ${name} exited before printing ${line}; its output: ${out.slice(-2000)}`));
      };
      watchers.push(watch);
      watch();
    });
  return { printed, report, send: (line) => child.stdin.write(`${line}\n`), kill: () => child.kill('SIGKILL') };
}

type Op = AppServerOp & { process: string };
type Add = Extract<Op, { op: 'add' }>;

/** One acknowledged write as history shows it: `ADD:text`, `UPDATE:text` or `DELETE`. */
const label = (event: string, text?: string) => (event === 'DELETE' ? 'DELETE' : `${event}:${text}`);

describe('several app servers on one PostgreSQL database', () => {
  it(
    `${PROCESSES} processes × ${WORKERS_PER_APP_SERVER} workers × ${OPS} mixed writes, then all adding the same new texts: no lost write, no duplicate, verify() clean`,
    { timeout: 180_000 },
    async () => {
      const started = performance.now();
      const database = await startDatabase();
      const servers: AppServer[] = [];
      try {
        for (let p = 0; p < PROCESSES; p++) servers.push(startAppServer(database.url, `p${p}`, SEED + p));
        // The processes start each phase at the same moment: mixed writes, then the burst of the same new texts.
        await Promise.all(servers.map((s) => s.printed('READY')));
        for (const s of servers) s.send('GO');
        await Promise.all(servers.map((s) => s.printed('MIXED-DONE')));
        const burstAt = Date.now() + 300;
        for (const s of servers) s.send(`BURST ${burstAt}`);
        const reports = await Promise.all(servers.map((s) => s.report));
        const ops: Op[] = reports.flatMap((r) => r.ops.map((op) => ({ ...op, process: r.name })));
        const adds = ops.filter((op): op is Add => op.op === 'add');

        // Every operation either succeeded or met NOT_FOUND because another worker had deleted or replaced its memory.
        expect(ops.filter((op) => op.op === 'error')).toEqual([]);

        // What the store acknowledged, per memory id, in each worker's order.
        const acknowledged = new Map<string, { worker: string; label: string }[]>();
        const added = new Map<string, Add>();
        const ack = (id: string, op: Op, write: string) => {
          const list = acknowledged.get(id) ?? [];
          list.push({ worker: `${op.process}/${op.worker}`, label: write });
          acknowledged.set(id, list);
        };
        for (const op of ops) {
          if (op.op === 'add' && op.event === 'ADD') {
            expect(added.has(op.id), `id ${op.id} handed out twice`).toBe(false);
            added.set(op.id, op);
            ack(op.id, op, label('ADD', op.text));
          }
          if (op.op === 'update' && !op.code) ack(op.id, op, label('UPDATE', op.text));
          if (op.op === 'delete' && !op.code) ack(op.id, op, label('DELETE'));
        }

        const memory = await Memory.open({
          path: database.url,
          embedder: new HashingEmbedder(APP_SERVER_EMBEDDER.dimension, APP_SERVER_EMBEDDER.id),
          llm: null,
        });
        try {
          expect(await memory.verify()).toEqual({ ok: true, problems: [] });

          // The store holds exactly the memories whose ADD was acknowledged: none lost, none unaccounted for.
          const records = (await collect(memory.export())).filter((r): r is Extract<ExportRecord, { type: 'memory' }> => r.type === 'memory');
          expect(new Set(records.map((r) => r.id))).toEqual(new Set(added.keys()));
          expect(new Set(acknowledged.keys())).toEqual(new Set(added.keys()));

          for (const [id, writes] of acknowledged) {
            const history = await memory.history(id);
            const applied = history.map((h) => label(h.event, h.newMemory));
            // Each acknowledged write applied exactly once (none lost, none twice, nothing else).
            expect(applied.toSorted(), `writes applied to ${id}`).toEqual(writes.map((w) => w.label).toSorted());
            expect(applied[0], `${id} starts with its ADD`).toBe(label('ADD', added.get(id)?.text));
            if (applied.includes('DELETE')) expect(applied.indexOf('DELETE'), `${id}: nothing after its DELETE`).toBe(applied.length - 1);
            // A worker's writes to one memory land in the order it made them.
            for (const worker of new Set(writes.map((w) => w.worker))) {
              const positions = writes.filter((w) => w.worker === worker).map((w) => applied.indexOf(w.label));
              expect(positions, `order of ${worker}'s writes to ${id}`).toEqual(positions.toSorted((a, b) => a - b));
            }
            // The memory now says what its last write said (or is gone after a DELETE).
            const last = applied.at(-1) as string;
            const current = await memory.get(id);
            if (last === 'DELETE') expect(current, `${id} was deleted`).toBeNull();
            else expect(current?.memory, `current text of ${id}`).toBe(last.slice(last.indexOf(':') + 1));
          }

          // No text is current twice in one scope, although workers in both processes added the same texts at once.
          for (const userId of APP_SERVER_SCOPES) {
            const texts = (await memory.getAll({ userId, limit: 1000 })).results.map((m) => m.memory);
            expect(texts.toSorted(), `current texts of ${userId}`).toEqual([...new Set(texts)].toSorted());
          }

          // The burst: each new text ended as exactly one memory per scope, and every add of it got that memory.
          for (const userId of APP_SERVER_SCOPES) {
            const current = (await memory.getAll({ userId, limit: 1000 })).results;
            for (const text of BURST_TEXTS) {
              const ofText = adds.filter((op) => op.burst && op.userId === userId && op.text === text);
              const holders = current.filter((m) => m.memory === text).map((m) => m.id);
              expect(holders, `current memories saying "${text}" in ${userId}`).toHaveLength(1);
              expect(new Set(ofText.map((op) => op.id)), `ids the adds of "${text}" in ${userId} got`).toEqual(new Set(holders));
              expect(ofText.filter((op) => op.event === 'ADD'), `ADDs of "${text}" in ${userId}`).toHaveLength(1);
            }
          }

          // The dedupe path ran: adds answered NONE with the memory another worker, in the other process too, had stored.
          const nones = adds.filter((op) => op.event === 'NONE');
          for (const none of nones) {
            const original = added.get(none.id);
            expect(original, `NONE for ${none.text} points to a stored memory`).toBeDefined();
            expect([original?.text, original?.userId]).toEqual([none.text, none.userId]);
          }
          const acrossProcesses = nones.filter((none) => added.get(none.id)?.process !== none.process);
          expect(acrossProcesses.length).toBeGreaterThan(0);

          const count = (kind: string, code?: string) => ops.filter((op) => op.op === kind && (op as { code?: string }).code === code).length;
          console.log(
            `[postgres-multi-process] ${database.describe()}: ${ops.length} operations in ${reports.map((r) => `${r.name} ${r.ms} ms`).join(', ')}; ` +
              `add ADD ${added.size}, NONE ${nones.length} (${acrossProcesses.length} across processes, ${nones.filter((n) => n.burst).length} in the burst); ` +
              `update ${count('update')} (+${count('update', 'NOT_FOUND')} NOT_FOUND); delete ${count('delete')} (+${count('delete', 'NOT_FOUND')} NOT_FOUND); ` +
              `total ${Math.round(performance.now() - started)} ms`,
          );
        } finally {
          await memory.close();
        }
      } finally {
        for (const s of servers) s.kill();
        await database.stop();
      }
    },
  );
});
