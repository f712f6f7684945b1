import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('the README', () => {
  it('links only to sections that exist', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1] as string)));
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(anchors, `#${link}`).toContain(link);
  });
});

describe('the layout the project promises', () => {
  it('has its top-level folders and files, and models/ explains itself', () => {
    for (const entry of ['src', 'models', 'test', 'scripts', 'package.json', 'tsconfig.json', 'README.md']) {
      expect(existsSync(join(root, entry)), entry).toBe(true);
    }
    const models = readFileSync(join(root, 'models/README.md'), 'utf8');
    // What lives there, and how to equip a machine without internet.
    for (const topic of ['installed.json', 'engram models pull', 'npm run models:test', 'without internet', 'ENGRAM_MODELS_DIR']) {
      expect(models, topic).toContain(topic);
    }
    // The folder is in the repository with its README, and nothing else of it is.
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toMatch(/^models\/\*\n!models\/README\.md$/m);
  });
});
