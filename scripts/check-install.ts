/**
 * Installs Engram as a user would and checks it works (`npm run check:install`;
 * slow, so not in the default suite):
 *
 *   1. packs the release tarball (scripts/pack.ts);
 *   2. `npm install <tarball>` into a fresh app, with the command the README
 *      gives and the npm registry as the only network;
 *   3. prints the install time and the size of node_modules, biggest first;
 *   4. runs a memory round trip in the app (open, add as said, search, add with
 *      inference on the generated test LLM), type-checks the app with
 *      `skipLibCheck: false`, runs the `engram` command, and finds the local
 *      page's files;
 *   5. the same with `npm install -g` into a temporary prefix.
 *
 * Exits 1 on the first failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packRelease } from './pack.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** The README's install command sets this; nothing else is needed. */
const INSTALL_ENV = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
const keep = process.argv.includes('--keep');

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function timed<T>(what: string, work: () => T): T {
  const start = performance.now();
  const result = work();
  console.log(`${what}: ${((performance.now() - start) / 1000).toFixed(0)} s`);
  return result;
}

/** Bytes under a folder (files only, symlinks not followed). */
function folderBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += folderBytes(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

function reportSize(modules: string): number {
  const packages: [string, number][] = [];
  for (const entry of readdirSync(modules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (entry.name.startsWith('@')) {
      for (const scoped of readdirSync(join(modules, entry.name))) packages.push([`${entry.name}/${scoped}`, folderBytes(join(modules, entry.name, scoped))]);
    } else packages.push([entry.name, folderBytes(join(modules, entry.name))]);
  }
  const total = packages.reduce((sum, [, bytes]) => sum + bytes, 0);
  console.log(`node_modules: ${(total / 1e6).toFixed(0)} MB in ${packages.length} packages; the biggest:`);
  for (const [name, bytes] of packages.sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${(bytes / 1e6).toFixed(1).padStart(7)} MB  ${name}`);
  return total;
}

const ROUND_TRIP = `
import { Memory } from 'engram-memory';
const models = ${JSON.stringify(join(root, 'models/test'))};
const memory = await Memory.open({ path: 'app.db', embedder: { model: models + '/embedding' }, llm: { model: models + '/llm.gguf', threads: 1 } });
await memory.add('I am allergic to penicillin.', { userId: 'alice', infer: false });
const { results } = await memory.search('which antibiotics to avoid', { userId: 'alice' });
if (results[0]?.memory !== 'I am allergic to penicillin.') throw new Error('search did not find the memory');
await memory.add('I moved to Porto last spring.', { userId: 'alice' }); // the real llama.cpp engine, with the test GGUF
const check = await memory.verify();
if (!check.ok) throw new Error(check.problems.join('; '));
await memory.close();
console.log('round trip ok');
`;

const TYPES = `
import { Memory, type MemoryItem, type Embedder } from 'engram-memory';
const open: Promise<Memory> = Memory.open({ path: ':memory:', llm: null });
export const items: Promise<MemoryItem[]> = open.then((m) => m.getAll({ userId: 'u' })).then((r) => r.results);
export type E = Embedder;
`;

const tarball = timed('pack', () => packRelease());
console.log(`tarball: ${tarball} (${(statSync(tarball).size / 1e6).toFixed(1)} MB)`);
const app = mkdtempSync(join(tmpdir(), 'engram-app-'));
const prefix = mkdtempSync(join(tmpdir(), 'engram-global-'));
try {
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  timed('npm install <tarball> (local)', () => sh(npm, ['install', tarball, '--no-audit', '--no-fund'], app, INSTALL_ENV));
  const bytes = reportSize(join(app, 'node_modules'));
  writeFileSync(join(app, 'app.mjs'), ROUND_TRIP);
  console.log(sh(process.execPath, ['app.mjs'], app).trim());
  console.log(`engram --version: ${sh(join(app, 'node_modules/.bin/engram'), ['--version'], app).trim()}`);
  // The local page ships built: `engram ui` serves these from the package itself.
  for (const file of ['index.html', 'app.js', 'app.css']) statSync(join(app, 'node_modules/engram-memory/dist/ui', file));
  console.log('the local page (dist/ui): present');

  sh(npm, ['install', '--no-audit', '--no-fund', '--save-dev', '@types/node@20', 'typescript@5.9'], app);
  writeFileSync(join(app, 'types.ts'), TYPES);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', types: ['node'] }, files: ['types.ts'] }),
  );
  sh(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app);
  console.log('tsc with skipLibCheck: false: ok');

  timed('npm install -g <tarball>', () => sh(npm, ['install', '-g', '--prefix', prefix, tarball, '--no-audit', '--no-fund'], app, INSTALL_ENV));
  const bin = join(prefix, process.platform === 'win32' ? 'engram.cmd' : 'bin/engram');
  // No models are installed in this app, so doctor fails on them (exit 1); the engines must be there.
  const doctor = spawnSync(bin, ['doctor'], { cwd: app, env: { ...process.env, ENGRAM_HOME: app }, encoding: 'utf8' }).stdout.trim();
  console.log(`global engram doctor:\n${doctor}`);
  for (const engine of ['SQLite + sqlite-vec', 'transformers.js + ONNX Runtime', 'node-llama-cpp']) {
    if (!doctor.includes(`✓ ${engine}`)) throw new Error(`doctor does not find ${engine} in the global install`);
  }
  console.log(`\ninstall check passed; local node_modules ${(bytes / 1e6).toFixed(0)} MB`);
} catch (error) {
  const failure = error as { stdout?: string; stderr?: string; message: string };
  console.error(`install check FAILED: ${failure.message}\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`kept: ${app} ${prefix}`);
  else for (const folder of [app, prefix, tarball]) rmSync(folder, { recursive: true, force: true });
}
