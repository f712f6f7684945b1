import { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import type { CliIo } from '../src/cli/command.js';
import { runCli } from '../src/cli/run-cli.js';
import { servePgliteSafely } from './support/pglite-server.js';
import { startPglite } from './support/postgres.js';
import { TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

/** The CLI in process (same dispatch and exit codes as `engram`), its stdout and stderr captured. */
async function engram(args: string[], stdin?: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err = { text: '', isTTY: false, write(s: string) { this.text += s; return true; } };
  const io: CliIo = {
    out: (line) => void out.push(line),
    err,
    env: { ENGRAM_HOME: tempDir(), ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL, ENGRAM_LLM_MODEL: join(tempDir(), 'no-llm.gguf'), ...env },
    stdin: stdin === undefined ? undefined : Readable.from([stdin]),
    stdout: new Writable({ write: (chunk: Buffer, _encoding, done) => void (out.push(chunk.toString().replace(/\n$/, '')), done()) }),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.map((line) => `${line}\n`).join(''), stderr: err.text };
}

describe('the CLI on PostgreSQL (PGlite served over TCP, the pg client)', () => {
  let db: PGlite;
  let server: { url: string; stop: () => Promise<void> };
  beforeAll(async () => {
    db = await startPglite();
    // Each command opens and closes its own pool: PGLiteSocketServer mixed one command's closing connection
    // with the next one's (electric-sql/pglite#1046); this server gives each connection its whole turn.
    server = await servePgliteSafely(db);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
  });

  it('adds, searches and lists with --db postgres://…, and moves a SQLite file there with export | import', async () => {
    const url = server.url;
    expect((await engram(['add', 'I take metformin every morning', '--user', 'alice', '--infer=false', '--db', url])).code).toBe(0);
    const found = await engram(['search', 'metformin', '--user', 'alice', '--json', '--db', url]);
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout).results.map((r: { memory: string }) => r.memory)).toEqual(['I take metformin every morning']);

    const file = tempDbPath();
    await engram(['add', 'My daughter Mia plays the violin', '--user', 'bob', '--infer=false', '--db', file]);
    await engram(['add', 'I am allergic to penicillin', '--user', 'bob', '--infer=false', '--db', file]);
    const exported = await engram(['export', '--db', file]);
    expect(exported.code).toBe(0);
    const imported = await engram(['import', '-', '--json', '--db', url], exported.stdout);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ memories: { added: 2 } });

    const listed = await engram(['list', '--user', 'bob', '--json', '--db', url]);
    expect(JSON.parse(listed.stdout).results.map((r: { memory: string }) => r.memory).sort()).toEqual(['I am allergic to penicillin', 'My daughter Mia plays the violin']);
    expect(JSON.parse((await engram(['list', '--user', 'alice', '--json', '--db', url])).stdout).results).toHaveLength(1);
    // The records came over whole: exporting back gives the same memories.
    const back = (await engram(['export', '--db', url])).stdout.split('\n').filter((l) => l.includes('"bob"'));
    expect(back.map((l) => JSON.parse(l).versions?.[0]?.memory).filter(Boolean).sort()).toEqual(['I am allergic to penicillin', 'My daughter Mia plays the violin']);
  });

  it('says which server it could not reach, without the password, and refuses ENGRAM_KEY for PostgreSQL', async () => {
    const down = await engram(['list', '--user', 'alice', '--db', 'postgres://engram:hunter2-secret@127.0.0.1:1/engram']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('127.0.0.1:1');
    expect(down.stderr).not.toContain('hunter2-secret');
    // doctor checks the server's database instead of looking for a file, and never prints the password.
    const doctor = await engram(['doctor', '--json', '--db', server.url]);
    const checks = JSON.parse(doctor.stdout).checks as { name: string; status: string; detail: string }[];
    expect(checks.find((c) => c.name === 'database')).toMatchObject({ status: 'ok', detail: expect.stringContaining('opens and passes the integrity checks') });
    expect(doctor.stdout + doctor.stderr).not.toContain(`:${new URL(server.url).password}@`);
    const keyed = await engram(['list', '--user', 'alice', '--db', server.url], undefined, { ENGRAM_KEY: 'correct horse battery' });
    expect(keyed.code).toBe(1);
    expect(keyed.stderr).toMatch(/encrypts SQLite files; a PostgreSQL server encrypts at rest itself/);
  });
});
