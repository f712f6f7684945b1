import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Memory } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { TEST_EMBEDDING_MODEL, tempDir } from './support/test-memory.js';

/**
 * A full disk, for real: each test gets a small tmpfs (the suite runs as root,
 * as CI does; mounting is the only way to make the kernel say ENOSPC to SQLite
 * itself).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
let disk: string;

beforeEach(() => {
  disk = join(tempDir(), 'small-disk');
  mkdirSync(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', disk], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`the full-disk tests mount a 4 MiB tmpfs and need root (CAP_SYS_ADMIN): ${String(error)}`);
  }
});
afterEach(() => {
  execFileSync('umount', ['-l', disk]);
});

const embedder = () => new HashingEmbedder(16, 'disk/a');
const open = (path: string) => Memory.open({ path, embedder: embedder(), llm: null });
const freeBytes = (path: string) => {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
};

/** Fills the disk but for `leave` bytes. */
function fill(leave: number): void {
  const size = freeBytes(disk) - leave;
  if (size > 0) writeFileSync(join(disk, 'filler'), Buffer.alloc(size));
}

async function populate(path: string, notes: number): Promise<void> {
  const memory = await open(path);
  for (let i = 0; i < notes; i += 100) {
    await memory.add(
      Array.from({ length: 100 }, (_, j) => ({ role: 'user' as const, content: `note ${i + j}: ${'padding words '.repeat(20)}` })),
      { userId: 'u', infer: false },
    );
  }
  await memory.close();
}

describe('a full disk', () => {
  it('makes encrypt fail with DISK_FULL, leaving the original whole and no staging copy', async () => {
    const path = join(disk, 'memory.db');
    await populate(path, 600);
    fill(200_000); // room for the lock file and journals, not for a copy of the database
    const error = await Memory.rekey({ path, newKey: 'disk full key 1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DISK_FULL' });
    expect((error as Error).message).toMatch(/free some space/);
    expect(readdirSync(disk).filter((f) => f.includes('.rekey-'))).toEqual([]);
    const memory = await open(path);
    expect((await memory.getAll({ userId: 'u', limit: 1000 })).results).toHaveLength(600);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
    await memory.close();
    // With space again, it works.
    rmSync(join(disk, 'filler'));
    await Memory.rekey({ path, newKey: 'disk full key 1' });
  });

  it('makes add fail with DISK_FULL and change nothing; after space is freed the file is whole', async () => {
    const path = join(disk, 'memory.db');
    await populate(path, 100);
    const memory = await open(path);
    fill(0);
    const error = await memory
      .add(
        Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: `overflow ${i} ${'x'.repeat(8000)}` })),
        { userId: 'u', infer: false },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DISK_FULL' });
    rmSync(join(disk, 'filler'));
    expect((await memory.getAll({ userId: 'u', limit: 1000 })).results).toHaveLength(100);
    await memory.add('after the disk was freed', { userId: 'u', infer: false });
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
    await memory.close();
  });

  it('makes a queued add fail with DISK_FULL and queue nothing; the queue works again once space is freed', async () => {
    const path = join(disk, 'memory.db');
    await populate(path, 100);
    const memory = await open(path);
    const before = await memory.add('queued before the disk filled', { userId: 'u', wait: false });
    fill(0);
    const error = await memory
      .add(
        Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: `overflow ${i} ${'x'.repeat(8000)}` })),
        { userId: 'u', wait: false },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DISK_FULL' });
    expect((await memory.jobs()).results.map((j) => j.id)).toEqual([before.jobId]);
    rmSync(join(disk, 'filler'));
    const after = await memory.add('queued after the disk was freed', { userId: 'u', wait: false });
    expect((await memory.jobs()).results.map((j) => j.id)).toEqual([after.jobId, before.jobId]);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
    await memory.close();
  });

  it('makes `engram export --out` exit 1 with DISK_FULL and no stack trace, leaving no partial file', async () => {
    const db = join(tempDir(), 'memory.db');
    const memory = await Memory.open({ path: db, embedder: { model: TEST_EMBEDDING_MODEL }, llm: null });
    await memory.add(
      Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: `note ${i}: ${'padding words '.repeat(200)}` })),
      { userId: 'u', infer: false },
    );
    await memory.close();
    fill(100_000);
    const out = join(disk, 'backup.jsonl');
    const result = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', '--db', db, '--out', out, '--embedding-model', TEST_EMBEDDING_MODEL], {
      cwd: root,
      env: { ...process.env, ENGRAM_HOME: tempDir() },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(result.stderr).toMatch(/DISK_FULL/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.code).toBe(1);
    expect(readdirSync(disk).filter((f) => f.startsWith('backup'))).toEqual([]);
  });
});
