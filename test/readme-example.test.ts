import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from './support/test-memory.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The first TypeScript block under a README heading, exactly as a reader copies it. */
function readmeExample(heading = '## Use it from TypeScript'): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error(`README has no \`\`\`ts block under "${heading}"`);
  return match[1];
}

/** Runs a README block where a user would: a folder with the models, writing its database there; returns what it printed. */
async function runInFolder(code: string, cwd: string, name: string): Promise<string[]> {
  const generated = join(root, 'test', '.generated');
  mkdirSync(generated, { recursive: true });
  const file = join(generated, `${name}-${process.pid}.ts`);
  writeFileSync(file, code);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    await import(file);
  } finally {
    process.chdir(previous);
    log.mockRestore();
    rmSync(file, { force: true });
  }
  return printed;
}

const expectedOutput = (code: string) => [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);

describe('the README examples', () => {
  it('the AI SDK and LangChain.js blocks are the example files their tests run', () => {
    for (const [heading, file] of [
      ['### Vercel AI SDK', 'ai-sdk-chat.ts'],
      ['### LangChain.js', 'langchain-chat.ts'],
    ] as const) {
      expect(readmeExample(heading), heading).toBe(readFileSync(join(root, 'test', 'examples', file), 'utf8'));
    }
  });

  it('the policy example runs as written: the card and insurance numbers never reach the store', async () => {
    const code = readmeExample('## What a store may hold: its policy');
    const cwd = tempDir();
    symlinkSync(join(root, 'models'), join(cwd, 'models'));
    const expected = expectedOutput(code);
    expect(expected).toHaveLength(1);
    expect(await runInFolder(code, cwd, 'readme-policy')).toEqual(expected);
    const files = readdirSync(cwd).filter((f) => f.startsWith('companion.db'));
    expect(files).toContain('companion.db');
    for (const file of files) expect(readFileSync(join(cwd, file)).includes('INS-004211'), file).toBe(false);
  });

  it('the expiry example runs as written and prints what its comments say', async () => {
    const code = readmeExample('### When to let go: expiry');
    const expected = expectedOutput(code);
    expect(expected).toHaveLength(3);
    const cwd = tempDir();
    symlinkSync(join(root, 'models'), join(cwd, 'models'));
    expect(await runInFolder(code, cwd, 'readme-expiry')).toEqual(expected);
  });

  it('the loop of an assistant runs as written and prints what its comment says', { timeout: 120_000 }, async () => {
    const code = readmeExample('## The loop of an assistant');
    const cwd = tempDir();
    symlinkSync(join(root, 'models'), join(cwd, 'models'));
    expect(await runInFolder(code, cwd, 'readme-loop')).toEqual(expectedOutput(code));
  });

  it('the entity graph example runs as written and prints what its comments say, twice on the same file', async () => {
    const code = readmeExample('## The entity graph');
    const expected = expectedOutput(code);
    expect(expected).toHaveLength(2);
    const cwd = tempDir();
    symlinkSync(join(root, 'models'), join(cwd, 'models'));
    for (const run of [1, 2]) expect(await runInFolder(code, cwd, `readme-graph-${run}`), `run ${run}`).toEqual(expected);
  });

  it('runs as written and prints what its comments say, twice on the same file', async () => {
    const code = readmeExample();
    const expected = expectedOutput(code);
    expect(expected.length).toBeGreaterThan(0);

    // Run it where a user would: a folder with the models, writing memory.db there.
    const cwd = tempDir();
    symlinkSync(join(root, 'models'), join(cwd, 'models'));
    for (const run of [1, 2]) expect(await runInFolder(code, cwd, `readme-example-${run}`), `run ${run}`).toEqual(expected);
  });
});
