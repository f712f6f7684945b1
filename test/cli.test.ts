import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Memory, type LlmRequest, type MemoryItem } from 'engram-memory';
import type { CliIo } from '../src/cli/command.js';
import { COMMANDS } from '../src/cli/commands/index.js';
import { CountProgressView } from '../src/cli/count-progress.js';
import { runInferenceDemo } from '../src/cli/demo-inference.js';
import { runCli } from '../src/cli/run-cli.js';
import { ScriptedLlm, ops } from './support/scripted-llm.js';
import { TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

const root = fileURLToPath(new URL('..', import.meta.url));

type Run = { code: number; stdout: string; stderr: string; json: <T = Record<string, unknown>>() => T };

/**
 * The CLI in process: the same dispatch and exit codes as `engram`, with a
 * captured io. The environment is only what a test gives (never the real one).
 */
async function engram(args: string[], env: Record<string, string> = {}, stdin?: string | Buffer): Promise<Run> {
  const out: string[] = [];
  const err = { text: '', isTTY: false, write(s: string) { this.text += s; return true; } };
  // `engram mcp` writes to the stdout stream itself.
  const stdoutStream = new Writable({ write: (chunk: Buffer, _encoding, done) => void (out.push(chunk.toString().replace(/\n$/, '')), done()) });
  const io: CliIo = {
    out: (line) => void out.push(line),
    err,
    env: { ENGRAM_HOME: tempDir(), ...env },
    stdin: stdin === undefined ? undefined : Readable.from([stdin]),
    stdout: stdoutStream,
  };
  const code = await runCli(args, io);
  const stdout = out.map((line) => `${line}\n`).join('');
  return { code, stdout, stderr: err.text, json: <T,>() => JSON.parse(stdout) as T };
}

/** A temp database, the test embedder, and no LLM file (so nothing can infer by accident). */
function setup(): { db: string; env: Record<string, string>; store: string[] } {
  const db = tempDbPath();
  const env = { ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL, ENGRAM_LLM_MODEL: join(tempDir(), 'no-llm.gguf') };
  return { db, env, store: ['--db', db] };
}

/** The real `engram` process, as a user runs it. */
function engramProcess(args: string[], env: Record<string, string>, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: tempDir(), ENGRAM_HOME: tempDir(), ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

/** A copy of the test embedder under another model id (same weights and dimension). */
function secondEmbeddingModel(): string {
  const folder = join(tempDir(), 'other-embedding');
  mkdirSync(folder);
  for (const file of readdirSync(TEST_EMBEDDING_MODEL)) {
    if (file === 'onnx') symlinkSync(join(TEST_EMBEDDING_MODEL, 'onnx'), join(folder, 'onnx'));
    else copyFileSync(join(TEST_EMBEDDING_MODEL, file), join(folder, file));
  }
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, _name_or_path: 'engram/test-other-100d' }));
  return folder;
}

describe('engram --help and usage errors', () => {
  it('prints every command’s usage with --help (exit 0), and lists them all', async () => {
    const global = await engram(['--help']);
    expect(global.code).toBe(0);
    for (const command of COMMANDS) {
      expect(global.stdout).toMatch(new RegExp(`^  ${command.name} +\\S`, 'm'));
      const help = await engram([command.name, '--help']);
      expect(help.code, command.name).toBe(0);
      expect(help.stdout, command.name).toContain(`engram ${command.name}`);
      expect(help.stdout, command.name).toContain('Usage:');
    }
    expect((await engram(['help', 'search'])).stdout).toContain('--mode <mode>');
    expect(global.stdout).toMatch(/Exit codes: 0 ok; 1 .*\n2 bad usage; 3 .*; 70/);
  });

  it('exits 2 on bad usage, naming the problem and showing the synopsis on stderr', async () => {
    const { store, env } = setup();
    const cases: [string[], RegExp][] = [
      [[], /Usage:\n {2}engram <command>/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['list', '--bogus', ...store], /unknown option --bogus/],
      [['list', '--usr', 'alice', ...store], /unknown option --usr \(did you mean --user\?\)/],
      [['add', 'caf\uFFFD', ...store], /not valid UTF-8/],
      [['add', ...store], /missing the text to remember/],
      [['search', ...store], /missing the query/],
      [['get', ...store], /missing the memory id/],
      [['get', 'a', 'b', ...store], /unexpected argument "b"/],
      [['update', 'id-only', ...store], /missing the new text/],
      [['search', 'x', '--limit', '0', ...store], /--limit must be a whole number from 1 to 200, not "0"/],
      [['search', 'x', '--mode', 'fuzzy', ...store], /--mode: must be hybrid, vector or keyword/],
      [['search', 'x', '--threshold', '2', ...store], /--threshold must be a number from 0 to 1/],
      [['search', 'x', '--fusion', 'max', ...store], /--fusion: must be linear or rrf/],
      [['search', 'x', '--vector-weight', '1.5', ...store], /--vector-weight must be a number from 0 to 1/],
      [['list', '--as-of', 'yesterday', ...store], /--as-of: must be an ISO 8601 date-time/],
      [['add', 'x', '--metadata', '{oops', ...store], /--metadata must be JSON/],
      [['add', 'x', '--metadata', '[1]', ...store], /--metadata must be a JSON object/],
      [['add', 'x', '--infer=maybe', ...store], /--infer: must be true or false/],
      [['add', 'x', '--kind', 'nonsense', ...store], /--kind: /],
      [['export', '--json', ...store], /--json needs --out/],
      [['import', join(tempDir(), 'missing.jsonl'), ...store], /cannot read .*missing\.jsonl: ENOENT/],
      [['forget', '--yes', ...store], /say whose memories/],
    ];
    for (const [args, message] of cases) {
      const run = await engram(args, env);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stdout, args.join(' ')).toBe('');
    }
    expect((await engram(['list', '--bogus'])).stderr).toMatch(/Usage:\n {2}engram list .*\n\nSee `engram list --help`/);
  });
});

describe('engram commands on a store', () => {
  it('add → search → update → history → delete → list, for people', async () => {
    const { store, env } = setup();
    const add = await engram(['add', '--user', 'alice', '--no-infer', 'I am allergic to penicillin.', ...store], env);
    expect(add).toMatchObject({ code: 0, stderr: '' });
    const [, id] = /^ADD +(\S+) +I am allergic to penicillin\.$/m.exec(add.stdout) ?? [];
    expect(id).toBeDefined();
    await engram(['add', '--user', 'alice', '--infer=false', '--metadata', '{"topic":"family"}', 'My', 'daughter', 'Mia', 'plays', 'the', 'violin.', ...store], env);
    await engram(['add', '--user', 'bob', '--no-infer', 'I am allergic to peanuts.', ...store], env);
    expect((await engram(['add', '--user', 'alice', '--no-infer', 'i am allergic to penicillin', ...store], env)).stdout).toMatch(/^NONE +\S+ +I am allergic/m);

    const search = await engram(['search', '--user', 'alice', 'Which antibiotics must the doctor avoid?', '--limit', '1', ...store], env);
    expect(search.stdout).toMatch(new RegExp(`^[01]\\.\\d{3}  ${id}  I am allergic to penicillin\\.\\n$`));
    const explained = await engram(['search', '--user', 'alice', 'violin', '--explain', '--filter', '{"topic":"family"}', ...store], env);
    expect(explained.stdout).toMatch(/My daughter Mia plays the violin\. {2}\{"topic":"family"\}\n +vector \d\.\d{3} \(#1\) {2}keyword \d\.\d{3} \(#1\)/);

    const update = await engram(['update', id!, 'I am allergic to penicillin and amoxicillin.', ...store], env);
    expect(update.stdout).toMatch(/^memory +I am allergic to penicillin and amoxicillin\.$/m);
    expect(update.stdout).toMatch(/^version +2$/m);
    const history = await engram(['history', id!, ...store], env);
    expect(history.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d {2}ADD {5}by api {2}"I am allergic to penicillin\."$/),
      expect.stringMatching(/UPDATE {2}by api {2}"I am allergic to penicillin\." → "I am allergic to penicillin and amoxicillin\."$/),
    ]);
    // An update of the metadata alone shows what changed.
    await engram(['update', id!, 'I am allergic to penicillin and amoxicillin.', '--metadata', '{"topic":"allergy"}', ...store], env);
    expect((await engram(['history', id!, ...store], env)).stdout.trim().split('\n').at(-1)).toMatch(
      /UPDATE {2}by api {2}"I am allergic to penicillin and amoxicillin\." {2}metadata \{\} → \{"topic":"allergy"\}$/,
    );
    expect((await engram(['delete', id!, ...store], env)).stdout).toBe(`Deleted ${id}.\n`);
    expect((await engram(['history', id!, ...store], env)).stdout).toMatch(/DELETE {2}by api {2}"I am allergic to penicillin and amoxicillin\."\n$/);

    const list = await engram(['list', '--user', 'alice', ...store], env);
    expect(list.stdout).toMatch(/^\S+ {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}My daughter Mia plays the violin\. {2}\{"topic":"family"\}\n1 memory of user alice\.\n$/);
    expect((await engram(['list', '--user', 'carol', ...store], env)).stdout).toBe('No memories of user carol.\n');
  });

  it('the same with --json: one JSON document per command, and the scope from the environment', async () => {
    const { store, env: base } = setup();
    const env = { ...base, ENGRAM_USER_ID: 'alice', ENGRAM_DB: store[1]! };
    const added = (await engram(['add', '--no-infer', '--json', 'I drink coffee every morning.'], env)).json<{ results: { id: string; event: string }[] }>();
    expect(added).toEqual({ results: [{ id: expect.any(String), memory: 'I drink coffee every morning.', event: 'ADD' }], droppedOperations: 0 });
    const id = added.results[0]!.id;

    const found = (await engram(['search', 'coffee', '--json', '--mode', 'keyword', '--explain'], env)).json<{ results: { id: string; score: number; signals: object }[] }>();
    expect(found.results).toEqual([expect.objectContaining({ id, score: expect.any(Number), signals: expect.objectContaining({ keywordRank: 1 }) })]);
    // Every option of Memory.search with a plain value has its flag (derived from the schema): rank fusion, exact vectors.
    const fused = (await engram(['search', 'coffee', '--json', '--fusion', 'rrf', '--vector-weight', '0.7', '--exact', '--plain'], env)).json<{ results: { id: string }[] }>();
    expect(fused.results.map((r) => r.id)).toEqual([id]);
    const got = (await engram(['get', id, '--json'], env)).json<MemoryItem>();
    expect(got).toMatchObject({ id, memory: 'I drink coffee every morning.', version: 1, userId: 'alice', kind: 'semantic' });
    const updated = (await engram(['update', id, 'I drink green tea every morning.', '--metadata', '{"changed":true}', '--json'], env)).json<MemoryItem>();
    expect(updated).toMatchObject({ id, version: 2, metadata: { changed: true } });
    const { history } = (await engram(['history', id, '--json'], env)).json<{ history: { event: string; actor: string }[] }>();
    expect(history.map((h) => h.event)).toEqual(['ADD', 'UPDATE']);
    const before = updated.updatedAt;
    expect((await engram(['delete', id, '--json'], env)).json()).toEqual({ deleted: id });
    expect((await engram(['list', '--json'], env)).json()).toEqual({ results: [] });
    const asOf = (await engram(['list', '--json', '--as-of', before], env)).json<{ results: MemoryItem[] }>();
    expect(asOf.results.map((r) => r.memory)).toEqual(['I drink green tea every morning.']);
  });

  it('reads messages from stdin with "-", and get answers exit code 3 for an unknown id', async () => {
    const { store, env } = setup();
    const messages = JSON.stringify([
      { role: 'user', content: 'I moved to Berlin.', createdAt: '2026-01-02T10:00:00Z' },
      { role: 'assistant', content: 'Berlin is lovely in spring.' },
    ]);
    const added = await engram(['add', '-', '--user', 'alice', '--no-infer', '--json', ...store], env, messages);
    expect(added.json<{ results: { memory: string }[] }>().results.map((r) => r.memory)).toEqual(['I moved to Berlin.', 'Berlin is lovely in spring.']);
    const id = added.json<{ results: { id: string }[] }>().results[0]!.id;
    expect((await engram(['get', id, ...store], env)).stdout).toMatch(/^valid +from 2026-01-02T10:00:00\.000Z$/m);

    const missing = await engram(['get', '019ac0de-4a1b-7c3d-9e2f-0123456789ab', ...store], env);
    expect(missing).toMatchObject({ code: 3, stdout: '' });
    expect(missing.stderr).toBe('engram: no current memory with id 019ac0de-4a1b-7c3d-9e2f-0123456789ab [NOT_FOUND]\n');
    expect((await engram(['delete', 'nope', ...store], env)).code).toBe(3);
    // Plain text on stdin is one user message; JSON that does not parse is refused.
    await engram(['add', '-', '--user', 'plain', '--no-infer', ...store], env, 'I take my tea black.\n');
    expect((await engram(['list', '--user', 'plain', '--json', ...store], env)).json<{ results: MemoryItem[] }>().results.map((r) => r.memory)).toEqual(['I take my tea black.']);
    expect((await engram(['add', '-', '--user', 'a', ...store], env, '[{"role": "user",')).stderr).toMatch(/stdin looks like JSON but is not/);
    // Bytes that are not UTF-8 are refused, never stored as U+FFFD.
    const latin1 = await engram(['add', '-', '--user', 'a', '--no-infer', ...store], env, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect(latin1.code).toBe(2);
    expect(latin1.stderr).toMatch(/stdin is not valid UTF-8/);

    // With no --user (nor ENGRAM_USER_ID), the scope is the OS user, as for `engram mcp`.
    const defaulted = await engram(['add', '--no-infer', 'Mine, by default.', ...store], env);
    expect(defaulted.stderr).toContain(`no --user given: remembering for your OS user "${userInfo().username}"`);
    const mine = (await engram(['list', '--json', ...store], env)).json<{ results: MemoryItem[] }>();
    expect(mine.results.map((r) => [r.userId, r.memory])).toEqual([[userInfo().username, 'Mine, by default.']]);
  });

  it('reports Engram errors with exit code 1 and their code on stderr', async () => {
    const { store, env } = setup();
    await engram(['add', '--no-infer', '--user', 'alice', 'a first memory', ...store], env);
    const badFilter = await engram(['search', 'x', '--user', 'alice', '--filter', '{"n":{"between":[1,2]}}', ...store], env);
    expect(badFilter.code).toBe(1);
    expect(badFilter.stderr).toMatch(/^engram: .*between.* \[INVALID_INPUT\]\n$/);
    const badMessages = await engram(['add', '-', '--user', 'alice', '--no-infer', ...store], env, '[{"role":"robot","content":"hi"}]');
    expect(badMessages.stderr).toMatch(/^engram: stdin: messages\.0\.role: .*\[INVALID_INPUT\]\n$/);
    // The default add infers, and there is no LLM file: say how to get one, or how to do without.
    const noLlm = await engram(['add', 'I like tea', '--user', 'alice', ...store], env);
    expect(noLlm.code).toBe(1);
    expect(noLlm.stderr).toMatch(/no LLM at .*no-llm\.gguf: download one with `engram models pull`.*--no-infer \[MODEL_NOT_FOUND\]/);
    const noModel = await engram(['list', '--user', 'alice', '--embedding-model', join(tempDir(), 'nothing'), ...store], env);
    expect(noModel.stderr).toMatch(/no embedding model at .*nothing: download one with `engram models pull`.*\[MODEL_NOT_FOUND\]/);
  });

  it('forget refuses without --yes, then erases the scope for good', async () => {
    const { store, env } = setup();
    await engram(['add', '--user', 'alice', '--no-infer', 'A secret.', ...store], env);
    await engram(['add', '--user', 'bob', '--no-infer', 'Not a secret.', ...store], env);
    // Whose memories is said with flags: the environment never aims an erase.
    expect((await engram(['forget', '--yes', ...store], { ...env, ENGRAM_USER_ID: 'alice' })).stderr).toMatch(/say whose memories/);
    const refused = await engram(['forget', '--user', 'alice', ...store], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/would erase every memory.*of user alice for good; add --yes/);
    expect((await engram(['list', '--user', 'alice', '--json', ...store], env)).json<{ results: unknown[] }>().results).toHaveLength(1);
    expect((await engram(['forget', '--user', 'alice', '--yes', '--json', ...store], env)).json()).toEqual({ memories: 1, messages: 1, jobs: 0, entities: 0, relations: 0 });
    expect((await engram(['forget', '--user', 'alice', '--yes', ...store], env)).stdout).toBe('Forgot user alice: 0 memories and 0 messages erased.\n');
    expect((await engram(['list', '--user', 'bob', '--json', ...store], env)).json<{ results: unknown[] }>().results).toHaveLength(1);
  });
});

describe('engram export, import and reindex', () => {
  it('exports to a file and imports into a new file: the same list; a second import adds nothing', async () => {
    const { store, env } = setup();
    for (const text of ['Lives in Lisbon', 'Has a cat named Miso', 'Prefers trains']) await engram(['add', '--user', 'alice', '--no-infer', text, ...store], env);
    const listed = (await engram(['list', '--user', 'alice', '--json', ...store], env)).json<{ results: MemoryItem[] }>();
    await engram(['update', listed.results[2]!.id, 'Lives in Berlin', ...store], env);
    const source = (await engram(['list', '--user', 'alice', '--json', ...store], env)).stdout;

    const file = join(tempDir(), 'backup.jsonl');
    const exported = await engram(['export', '--out', file, ...store], env);
    expect(exported.stdout).toBe(`Exported 3 memories and 3 messages to ${file}.\n`);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(7);
    expect((await engram(['export', ...store], env)).stdout.trim().split('\n').slice(1)).toEqual(lines.slice(1));

    const target = ['--db', tempDbPath()];
    const imported = await engram(['import', file, ...target], env);
    expect(imported.stdout).toBe('Imported memories: 3 added, 0 skipped (already present); messages: 3 added, 0 skipped.\n');
    expect(imported.stderr).toMatch(/^memories: 100% \(3 of 3\)$/m);
    expect((await engram(['list', '--user', 'alice', '--json', ...target], env)).stdout).toBe(source);
    const again = await engram(['import', '-', '--json', ...target], env, readFileSync(file, 'utf8'));
    expect(again.json()).toEqual({
      policy: { added: 0, skipped: 0 },
      memories: { added: 0, skipped: 3 },
      messages: { added: 0, skipped: 3 },
      jobs: { added: 0, skipped: 0 },
      entities: { added: 0, skipped: 0 },
      relations: { added: 0, skipped: 0 },
    });
  });

  it('refuses an import with an invalid line (exit 1, its line number) and writes nothing', async () => {
    const { store, env } = setup();
    await engram(['add', '--user', 'alice', '--no-infer', 'Lives in Lisbon', ...store], env);
    const lines = (await engram(['export', ...store], env)).stdout.trim().split('\n');
    lines.splice(1, 0, '{"type":"memory","id":""}');
    const target = ['--db', tempDbPath()];
    const failed = await engram(['import', '-', ...target], env, lines.join('\n'));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/engram: the import has 1 invalid line\(s\), nothing was imported: line 2: .*\[INVALID_INPUT\]/);
    // Nothing is left behind: no database, no lock file, no folder.
    expect(existsSync(target[1]!)).toBe(false);
    expect(readdirSync(dirname(target[1]!))).toEqual([]);
    const nested = join(tempDir(), 'typo', 'deeper', 'memory.db');
    expect((await engram(['import', '-', '--db', nested], env, lines.join('\n'))).code).toBe(1);
    expect(existsSync(join(nested, '..', '..'))).toBe(false);
  });

  it('never creates a database, its folder or a lock file when a read command gets a mistyped path', async () => {
    const { env } = setup();
    const missing = join(tempDir(), 'no-such-folder', 'memroy.db');
    for (const args of [['list', '--user', 'alice'], ['search', 'tea', '--user', 'alice'], ['get', 'some-id'], ['history', 'some-id'], ['export'], ['delete', 'some-id']]) {
      const result = await engram([...args, '--db', missing], env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(/no database at .*memroy\.db \(nothing was created\): check --db \(ENGRAM_DB\).*\[FILE_NOT_FOUND\]/);
      expect(existsSync(join(missing, '..')), args.join(' ')).toBe(false);
    }
  });

  it('reindexes to another embedding model, after which search works with it', async () => {
    const { store, env } = setup();
    await engram(['add', '--user', 'alice', '--no-infer', 'I am allergic to penicillin.', ...store], env);
    await engram(['add', '--user', 'alice', '--no-infer', 'My daughter plays the violin.', ...store], env);
    const other = secondEmbeddingModel();
    const mismatch = await engram(['search', 'antibiotics', '--user', 'alice', '--embedding-model', other, ...store], env);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/engram reindex.*\[EMBEDDING_MISMATCH\]/);

    const reindexed = await engram(['reindex', '--embedding-model', other, ...store], env);
    expect(reindexed.code).toBe(0);
    expect(reindexed.stderr).toMatch(/Resumable: if it stops, run the same command again\.\nre-embedding: 100% \(2 of 2\)\n$/);
    expect(reindexed.stdout).toContain('now uses engram/test-other-100d (2 memory versions re-embedded)');
    const found = await engram(['search', 'antibiotics', '--user', 'alice', '--limit', '1', '--json', '--embedding-model', other, ...store], env);
    expect(found.json<{ results: { memory: string }[] }>().results[0]?.memory).toBe('I am allergic to penicillin.');
    expect((await engram(['reindex', '--json', '--embedding-model', other, ...store], env)).json()).toMatchObject({ reembedded: 0, model: 'engram/test-other-100d' });
    expect((await engram(['reindex', '--db', join(tempDir(), 'none.db')], env)).code).toBe(2);
  });
});

describe('engram doctor', () => {
  it('passes on a healthy setup and reports a corrupted database file with exit code 1', async () => {
    const { db, store, env } = setup();
    await engram(['add', '--user', 'alice', '--no-infer', 'Something to keep.', ...store], env);
    const healthy = await engram(['doctor', ...store], env);
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(healthy.stdout).toMatch(/^✓ Node\.js: \d+\.\d+\.\d+$/m);
    expect(healthy.stdout).toMatch(/^✓ SQLite \+ sqlite-vec: .*sqlite-vec v\d/m);
    expect(healthy.stdout).toMatch(/^✓ transformers\.js \+ ONNX Runtime: /m);
    expect(healthy.stdout).toMatch(/^✓ node-llama-cpp: node-llama-cpp \d+\.\d+\.\d+ with prebuilt binaries .* CPU .*; \d+ threads \(default: \d+ physical cores/m);
    expect(healthy.stdout).toMatch(/^✓ embedding model: engram\/test-glove-sif-100d, 100 dimensions/m);
    expect(healthy.stdout).toMatch(/^! LLM: no file at .*no-llm\.gguf.*\n {4}fix: download one with `engram models pull`/m);
    expect(healthy.stdout).toMatch(/^✓ database: .* opens and passes the integrity checks$/m);

    const broken = join(tempDir(), 'broken.db');
    const bytes = readFileSync(db);
    bytes.fill(0x5a, 4096, Math.min(bytes.length, 4096 * 4));
    writeFileSync(broken, bytes);
    const sick = await engram(['doctor', '--db', broken, '--json'], env);
    expect(sick.code).toBe(1);
    const report = sick.json<{ ok: boolean; checks: { name: string; status: string; detail: string; fix?: string }[] }>();
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'database')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/\[DB_INVALID\]|integrity/), fix: expect.any(String) });
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['database']);
  });
});

describe('engram demo, part two (memory that thinks)', () => {
  it('shows each decision, and an invalid model answer without crashing', async () => {
    // Answers that act on the candidate the prompt shows for a text (aliases are given by rank).
    const about = (fragment: string, op: (alias: string) => object) => (request: LlmRequest) => {
      const line = request.messages.at(-1)!.content.split('\n').find((l) => /^\d+\. /.test(l) && l.includes(fragment));
      return op(line!.split('.')[0]!);
    };
    const llm = new ScriptedLlm(
      ops({ event: 'ADD', text: 'Loves spicy food, especially Thai green curry', kind: 'semantic' }),
      ops({ event: 'ADD', text: 'Takes lisinopril 10 mg every morning for blood pressure', kind: 'semantic' }),
      ops({ event: 'ADD', text: 'Sister Ana is visiting in December 2026', kind: 'episodic' }),
      about('spicy', (id) => ops({ event: 'UPDATE', id, text: 'Prefers mild dishes; can no longer handle spicy food' })),
      '{"operations": [{"event": "UPDATE"',
      about('Ana', (id) => ops({ event: 'DELETE', id })),
      about('lisinopril', (id) => ops({ event: 'NONE', id })),
    );
    await using memory = await Memory.open({ path: ':memory:', embedder: { model: TEST_EMBEDDING_MODEL }, llm });
    const lines: string[] = [];
    await runInferenceDemo(memory, { kind: 'configured', path: 'scripted' }, (line) => lines.push(line));
    const text = lines.join('\n');
    expect(text).toMatch(/Sam: I love spicy food.*\n {5}ADD {5}"Loves spicy food, especially Thai green curry"/);
    expect(text).toMatch(/UPDATE {2}"Loves spicy food, especially Thai green curry" → "Prefers mild dishes; can no longer handle spicy food"/);
    expect(text).toMatch(/raised my lisinopril.*\n {5}✗ LLM_OUTPUT_INVALID: .* Nothing was stored\./);
    expect(text).toMatch(/DELETE {2}"/);
    expect(text).toMatch(/NONE {4}"/);
    const known = text.slice(text.indexOf('What Engram knows about Sam'));
    expect(known).toContain('Prefers mild dishes; can no longer handle spicy food  (since 2026-11-10, version 2)');
    expect(known).toContain('Takes lisinopril 10 mg every morning');
  });
});

describe('the engram process', () => {
  // Five real processes, each loading tsx and the embedder: about 20 s on a quiet 2-core machine.
  it('keeps results on stdout and messages on stderr, with the documented exit codes', async () => {
    const db = tempDbPath();
    const env = { ENGRAM_DB: db, ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL, ENGRAM_USER_ID: 'alice' };
    const added = await engramProcess(['add', '--no-infer', '--json', 'I am allergic to penicillin.'], env);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(added.stdout)).toMatchObject({ results: [{ event: 'ADD' }] });

    const missing = await engramProcess(['get', 'no-such-id'], env);
    expect(missing).toEqual({ code: 3, stdout: '', stderr: 'engram: no current memory with id no-such-id [NOT_FOUND]\n' });
    const usage = await engramProcess(['search', '--limit', 'many', 'x'], env);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toMatch(/^engram search: --limit must be a whole number/);

    const exported = await engramProcess(['export'], env);
    const imported = await engramProcess(['import', '-', '--db', tempDbPath()], env, exported.stdout);
    expect(imported).toMatchObject({ code: 0, stdout: 'Imported memories: 1 added, 0 skipped (already present); messages: 1 added, 0 skipped.\n' });
    expect(imported.stderr).toContain('memories: 100% (1 of 1)');
    expect(existsSync(db)).toBe(true);
  }, 90_000);
});

describe('the count progress display', () => {
  it('redraws one line on a terminal, and writes a line per 10 % elsewhere', () => {
    let clock = 0;
    const tty = { text: '', isTTY: true, columns: 80, write(s: string) { this.text += s; } };
    const log = { text: '', isTTY: false, write(s: string) { this.text += s; } };
    for (const stream of [tty, log]) {
      const view = new CountProgressView(stream, () => clock);
      for (let done = 0; done <= 1000; done += 50) {
        clock += 500;
        view.update('memories', done, 1000);
      }
      view.finish();
    }
    expect(tty.text).toContain('\r\x1b[2K  memories  ');
    expect(tty.text).toMatch(/100% {2}1,000 \/ 1,000 {2}100\/s\n$/);
    const lines = log.text.trim().split('\n');
    expect(lines.map((l) => l.split(' ')[1])).toEqual(['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%']);
    expect(lines[4]).toBe('memories: 50% (500 of 1,000, 5 s left)');
  });
});
