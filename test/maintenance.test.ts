import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EngramError, Memory } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { closeAfterTest, tempDbPath } from './support/test-memory.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKER = join(root, 'test/support/maintenance-worker.ts');
const KEY = 'maintenance key 1';
const embedder = (id = 'maintenance/a') => new HashingEmbedder(16, id);

function startWorker(args: string[]): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

/** The acknowledged adds a worker reported: id → text. */
function acknowledged(report: string): Map<string, string> {
  if (!existsSync(report)) return new Map();
  const lines = readFileSync(report, 'utf8').split('\n').filter(Boolean);
  return new Map(lines.map((line) => line.split('\t') as [string, string]));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function seed(path: string): Promise<void> {
  const memory = await Memory.open({ path, embedder: embedder(), llm: null });
  await memory.add('first note', { userId: 'patient', infer: false });
  await memory.close();
}

/** Opens the file whether it is plain or encrypted with KEY. */
async function openEither(path: string): Promise<Memory> {
  try {
    return closeAfterTest(await Memory.open({ path, embedder: embedder(), llm: null }));
  } catch (error) {
    if (!(error instanceof EngramError) || error.code !== 'DB_INVALID') throw error;
    return closeAfterTest(await Memory.open({ path, embedder: embedder(), llm: null, encryptionKey: KEY }));
  }
}

async function expectEveryAcknowledgedWrite(path: string, reports: string[]): Promise<number> {
  const memory = await openEither(path);
  const stored = new Map((await memory.getAll({ userId: 'patient', limit: 1000 })).results.map((item) => [item.id, item.memory]));
  let count = 0;
  for (const report of reports) {
    for (const [id, text] of acknowledged(report)) {
      expect(stored.get(id), `acknowledged write ${id} (${text}) was lost`).toBe(text);
      count++;
    }
  }
  expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  return count;
}

describe('maintenance never races a live writer', () => {
  it('encrypt, rekey and decrypt refuse with FILE_IN_USE while a server in another process has the file open; nothing it acknowledged is lost', async () => {
    const path = tempDbPath();
    await seed(path);
    const report = `${path}.server-report`;
    const server = startWorker(['server', path, report]);
    await waitFor(() => acknowledged(report).size >= 5, 'the server to acknowledge writes');

    const error = await Memory.rekey({ path, newKey: KEY }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngramError);
    expect(error).toMatchObject({ code: 'FILE_IN_USE' });
    expect((error as Error).message).toMatch(/engram serve.*stop them/s);
    // The server went on working.
    const before = acknowledged(report).size;
    await waitFor(() => acknowledged(report).size > before + 3, 'more acknowledged writes');

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await Memory.rekey({ path, newKey: KEY });
    expect(await expectEveryAcknowledgedWrite(path, [report])).toBeGreaterThan(8);
  });

  it('the reindex swap refuses with FILE_IN_USE while another connection (in this process too) has the file open, then resumes', async () => {
    const path = tempDbPath();
    await seed(path);
    const open = await Memory.open({ path, embedder: embedder(), llm: null });
    await expect(Memory.reindex({ path, embedder: embedder('maintenance/b') })).rejects.toMatchObject({ code: 'FILE_IN_USE' });
    // The file still works with its model, and a write made now is re-embedded by the resumed reindex.
    await open.add('second note', { userId: 'patient', infer: false });
    await open.close();
    const { reembedded } = await Memory.reindex({ path, embedder: embedder('maintenance/b') });
    expect(reembedded).toBe(1); // only the memory added after the refused swap
    const memory = closeAfterTest(await Memory.open({ path, embedder: embedder('maintenance/b'), llm: null }));
    expect((await memory.search('second note', { userId: 'patient' })).results[0]?.memory).toBe('second note');
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });

  it('processes that open the file while it is being encrypted or decrypted never write into the replaced file', { timeout: 120_000 }, async () => {
    const path = tempDbPath();
    await seed(path);
    const reports = [`${path}.writer-1`, `${path}.writer-2`];
    const writers = reports.map((report) => startWorker(['writer', path, report, KEY]));
    await waitFor(() => reports.every((r) => acknowledged(r).size >= 3), 'the writers to acknowledge writes');

    const before = reports.reduce((n, r) => n + acknowledged(r).size, 0);
    let encrypted = false;
    let swaps = 0;
    let refused = 0;
    for (let round = 0; round < 60 && swaps < 12; round++) {
      try {
        await Memory.rekey(encrypted ? { path, key: KEY } : { path, newKey: KEY });
        encrypted = !encrypted;
        swaps++;
      } catch (error) {
        if (!(error instanceof EngramError) || error.code !== 'FILE_IN_USE') throw error;
        refused++;
      }
      await sleep(40); // room for the writers between swaps
    }
    const during = reports.reduce((n, r) => n + acknowledged(r).size, 0) - before;
    for (const writer of writers) writer.child.kill('SIGTERM');
    for (const writer of writers) expect(await writer.exited).toBe(0);
    expect(swaps, `only ${swaps} swaps, ${refused} refused`).toBeGreaterThanOrEqual(10);
    expect(during, 'the writers wrote while the file was being swapped').toBeGreaterThanOrEqual(3);
    await expectEveryAcknowledgedWrite(path, reports);
  });
});

