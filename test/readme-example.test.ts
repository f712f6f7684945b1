import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from './support/test-memory.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The TypeScript block under "Use it from TypeScript", exactly as a reader copies it. */
function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it from TypeScript'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error('README has no ```ts block under "## Use it from TypeScript"');
  return match[1];
}

describe('the README example', () => {
  it('runs as written and prints what its comments say', async () => {
    const code = readmeExample();
    const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
    expect(expected.length).toBeGreaterThan(0);

    // Run it where a user would: a folder with the models, writing memory.db there.
    const cwd = tempDir();
    symlinkSync(join(root, 'models'), join(cwd, 'models'));
    const generated = join(root, 'test', '.generated');
    mkdirSync(generated, { recursive: true });
    const file = join(generated, `readme-example-${process.pid}.ts`);
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
    expect(printed).toEqual(expected);
  });
});
