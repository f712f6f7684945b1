import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
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

/** Every relative import of each file under src/, as paths relative to src/. */
function importsBySourceFile(): Map<string, string[]> {
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(root, 'src', file), 'utf8');
    const targets = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => posix.normalize(posix.join(posix.dirname(file), m[1] as string)));
    graph.set(file, targets);
  }
  return graph;
}

describe('dependencies point one way: front ends → Memory → pipelines → ports ← engines', () => {
  const rules: [from: string, mayNotImport: string[]][] = [
    ['storage/', ['store/', 'engines/', 'pipeline/', 'memory.ts', 'cli/', 'server/', 'mcp/']],
    ['pipeline/', ['store/', 'engines/', 'memory.ts', 'open-storage.ts', 'cli/', 'server/', 'mcp/']],
    ['store/', ['pipeline/', 'engines/', 'memory.ts', 'cli/', 'server/', 'mcp/', 'embed/', 'llm/', 'rerank/']],
    ['engines/', ['pipeline/', 'store/', 'memory.ts', 'cli/', 'server/', 'mcp/', 'embed/', 'llm/', 'rerank/']],
    ['cli/', ['store/', 'engines/', 'pipeline/']],
    ['server/', ['store/', 'engines/', 'pipeline/']],
    ['mcp/', ['store/', 'engines/', 'pipeline/']],
  ];
  it.each(rules)('%s imports none of %j', (from, forbidden) => {
    const graph = importsBySourceFile();
    const files = [...graph.keys()].filter((f) => f.startsWith(from));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) for (const target of graph.get(file) ?? []) for (const no of forbidden) expect(target.startsWith(no), `${file} imports ${target}`).toBe(false);
  });
});
