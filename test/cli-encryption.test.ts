import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/command.js';
import { runCli } from '../src/cli/run-cli.js';
import { TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

async function engram(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err = { text: '', isTTY: false, write(s: string) { this.text += s; return true; } };
  const io: CliIo = { out: (line) => void out.push(line), err, env: { ENGRAM_HOME: tempDir(), ...env } };
  const code = await runCli(args, io);
  return { code, stdout: out.join('\n'), stderr: err.text };
}

describe('engram encrypt / decrypt / rekey', () => {
  it('encrypts a file, needs the key to use it, re-keys and decrypts it, keeping the memories', async () => {
    const db = tempDbPath();
    const base = { ENGRAM_DB: db, ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL, ENGRAM_LLM_MODEL: `${tempDir()}/none.gguf` };
    expect((await engram(['add', '--user', 'pat', '--no-infer', 'Takes warfarin 5 mg daily'], base)).code).toBe(0);

    expect((await engram(['encrypt'], base)).code).toBe(2); // no ENGRAM_NEW_KEY
    expect((await engram(['encrypt'], { ...base, ENGRAM_NEW_KEY: 'first secret key' })).code).toBe(0);
    expect(readFileSync(db).includes(Buffer.from('warfarin'))).toBe(false);

    const locked = await engram(['list', '--user', 'pat'], base);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('[DB_INVALID]');
    expect((await engram(['list', '--user', 'pat'], { ...base, ENGRAM_KEY: 'wrong secret key' })).stderr).toContain('[ENCRYPTION_KEY_INVALID]');
    expect((await engram(['list', '--user', 'pat'], { ...base, ENGRAM_KEY: 'first secret key' })).stdout).toContain('Takes warfarin 5 mg daily');

    expect((await engram(['rekey'], { ...base, ENGRAM_KEY: 'first secret key', ENGRAM_NEW_KEY: 'second secret key' })).code).toBe(0);
    expect((await engram(['list', '--user', 'pat'], { ...base, ENGRAM_KEY: 'second secret key' })).stdout).toContain('warfarin');

    expect((await engram(['decrypt', '--json'], { ...base, ENGRAM_KEY: 'second secret key' })).stdout).toContain('"encrypted": false');
    expect((await engram(['list', '--user', 'pat'], base)).stdout).toContain('warfarin');
  });
});
