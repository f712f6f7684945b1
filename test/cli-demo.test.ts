import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const engram = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: { ...process.env, ENGRAM_DB: '' } });

describe('engram demo (the quick start)', () => {
  it('tells the story: stores, deduplicates, finds by meaning inside the scope, corrects, deletes', async () => {
    const { stdout } = await engram('demo', '--embedding-model', 'models/test/embedding');
    const lines = stdout.split('\n');
    const after = (heading: string) => lines.slice(lines.findIndex((l) => l.includes(heading)) + 1);
    expect(after('repeats herself')[0]).toMatch(/NONE\s+I am allergic to penicillin\./);
    expect(after('search "Which antibiotics')[0]).toMatch(/^\s+0\.\d\d\s+I am allergic to penicillin\.$/);
    expect(after('search "What does her child')[0]).toMatch(/My daughter Mia plays the violin\./);
    expect(stdout).not.toContain('peanuts.\n     '); // Bob's memory never shows in Alice's searches
    const known = after('What Engram now knows');
    expect(known.filter((l) => l.startsWith('   - ')).map((l) => l.replace(/\s+\(since.*$/, '').slice(5)).sort()).toEqual([
      'I am allergic to penicillin.',
      'I switched from coffee to green tea in the mornings.',
      'My daughter Mia plays the violin.',
    ]);
  });

  it('prints usage with --help and fails with exit code 2 on an unknown command', async () => {
    expect((await engram('--help')).stdout).toContain('engram demo');
    await expect(engram('frobnicate')).rejects.toMatchObject({ code: 2 });
  });
});
