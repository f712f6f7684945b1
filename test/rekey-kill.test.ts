import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EngramError, Memory } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { seededRandom } from './support/seeded-random.js';
import { tempDbPath } from './support/test-memory.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKER = join(root, 'test/support/maintenance-worker.ts');
const KILLS = Number(process.env.ENGRAM_REKEY_KILLS ?? 6);
const KEY = 'kill test key 1';
const NEXT_KEY = 'kill test key 2';
/** A word in every memory: what an attacker reading the folder would look for (FTS keeps its stem too). */
const SECRET = 'xylophonist';

/** Runs the rekey worker; kills it `afterMs` after it said "go" (or lets it finish when afterMs is undefined). Returns ms from go to exit. */
async function runRekey(path: string, key: string | undefined, newKey: string | undefined, afterMs?: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, 'rekey', path, key ?? '-', newKey ?? '-'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  while (!out.includes('go')) {
    if (child.exitCode !== null) throw new Error(`the rekey worker ended before starting: ${err}`);
    await sleep(2);
  }
  const started = Date.now();
  if (afterMs !== undefined) {
    await sleep(afterMs);
    child.kill('SIGKILL');
    await exited;
  } else {
    expect(await exited, err).toBe(0);
  }
  return Date.now() - started;
}

/** Whether the file is encrypted now (a plain open fails), by the first 16 bytes. */
const isPlain = (path: string) => readFileSync(path).subarray(0, 15).toString() === 'SQLite format 3';

describe('no plaintext survives encryption', () => {
  it(`SIGKILL at ${KILLS} points of encrypt and rekey, then one successful run: no file in the folder holds a memory's text`, { timeout: 300_000 }, async () => {
    const path = tempDbPath();
    const memory = await Memory.open({ path, embedder: new HashingEmbedder(16, 'kill/a'), llm: null });
    for (let batch = 0; batch < 20; batch++) {
      await memory.add(
        Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: `patient note ${batch * 100 + i}: the ${SECRET} takes warfarin` })),
        { userId: 'patient', infer: false },
      );
    }
    await memory.close();

    // How long a whole encrypt takes here, measured on a copy.
    const probe = join(dirname(path), 'probe.db');
    copyFileSync(path, probe);
    const duration = await runRekey(probe, undefined, KEY);

    const random = seededRandom(7);
    for (let kill = 0; kill < KILLS; kill++) {
      // Spread the kills over the whole run, from before the copy to after the swap.
      const afterMs = Math.floor(((kill + random()) / KILLS) * duration * 1.2);
      const key = isPlain(path) ? undefined : await whichKey(path);
      await runRekey(path, key, key === KEY ? NEXT_KEY : KEY, afterMs);
      // Whatever the kill left, the file opens with one key or none and is whole.
      const now = isPlain(path) ? undefined : await whichKey(path);
      const check = await Memory.open({ path, embedder: new HashingEmbedder(16, 'kill/a'), llm: null, ...(now ? { encryptionKey: now } : {}) });
      expect(await check.verify().then((v) => v.problems.filter((p) => !p.includes('staging copy')))).toEqual([]);
      expect((await check.getAll({ userId: 'patient', limit: 1 })).results).toHaveLength(1);
      await check.close();
    }

    // One successful run, from whatever state the last kill left.
    const last = isPlain(path) ? undefined : await whichKey(path);
    await runRekey(path, last, last === KEY ? NEXT_KEY : KEY);

    const folder = dirname(path);
    for (const file of readdirSync(folder)) {
      const bytes = readFileSync(join(folder, file));
      expect(bytes.includes(Buffer.from(SECRET)), `${file} holds plaintext`).toBe(false);
      expect(bytes.includes(Buffer.from('xylophonist'.slice(0, 8))), `${file} holds a plaintext full-text term`).toBe(false);
    }
    expect(readdirSync(folder).filter((f) => f.includes('.rekey-'))).toEqual([]);
  });
});

async function whichKey(path: string): Promise<string> {
  for (const key of [KEY, NEXT_KEY]) {
    try {
      const memory = await Memory.open({ path, embedder: new HashingEmbedder(16, 'kill/a'), llm: null, encryptionKey: key });
      await memory.close();
      return key;
    } catch (error) {
      if (!(error instanceof EngramError) || error.code !== 'ENCRYPTION_KEY_INVALID') throw error;
    }
  }
  throw new Error('neither key opens the file');
}
