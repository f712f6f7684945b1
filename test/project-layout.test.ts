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

  it('shows only pictures that are in the repository', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const pictures = [...readme.matchAll(/!\[[^\]]*\]\(([^)#]+)\)/g)].map((m) => m[1] as string);
    expect(pictures.length).toBeGreaterThan(0);
    for (const picture of pictures) expect(existsSync(join(root, picture)), picture).toBe(true);
  });
});

describe('the local page', () => {
  it('is browser code that imports nothing but its own files (and the wire types, as types only)', () => {
    const files = readdirSync(join(root, 'src/ui'), { encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('main.ts');
    for (const file of files) {
      const text = readFileSync(join(root, 'src/ui', file), 'utf8');
      for (const m of text.matchAll(/^import (type )?[^;]*?from '([^']+)';/gms)) {
        const [, typeOnly, target] = m as unknown as [string, string | undefined, string];
        if (typeOnly) continue;
        expect(target.startsWith('./') && !target.includes('/', 2), `${file} imports ${target} at run time`).toBe(true);
      }
    }
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
    // The integrations are front ends too: the public index only (and their own helpers).
    ['integrations/', ['store/', 'engines/', 'pipeline/', 'storage/', 'memory.ts', 'validate.js', 'cli/', 'server/', 'mcp/', 'llm/', 'embed/']],
  ];
  it.each(rules)('%s imports none of %j', (from, forbidden) => {
    const graph = importsBySourceFile();
    const files = [...graph.keys()].filter((f) => f.startsWith(from));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) for (const target of graph.get(file) ?? []) for (const no of forbidden) expect(target.startsWith(no), `${file} imports ${target}`).toBe(false);
  });
});

describe('the optional integrations stay optional', () => {
  it('only src/integrations/ imports the peer dependencies (ai, @langchain/core), and nothing else imports the integrations', () => {
    const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    for (const file of files.filter((f) => !f.startsWith('integrations/'))) {
      const text = readFileSync(join(root, 'src', file), 'utf8');
      expect(text, file).not.toMatch(/(?:from|import\()\s*'(?:ai|ai\/[^']*|@langchain\/[^']*)'/);
      expect(text, file).not.toMatch(/(?:from|import\()\s*'[^']*integrations\//);
    }
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; import: string }>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    for (const peer of ['ai', '@langchain/core']) expect(pkg.peerDependenciesMeta[peer]?.optional, peer).toBe(true);
    // Each subpath export points at what the build (rootDir src → dist) emits for its source file.
    for (const subpath of ['ai-sdk', 'langchain']) {
      expect(existsSync(join(root, 'src/integrations', `${subpath}.ts`)), subpath).toBe(true);
      expect(pkg.exports[`./${subpath}`]).toEqual({ types: `./dist/integrations/${subpath}.d.ts`, import: `./dist/integrations/${subpath}.js` });
    }
  });
});
