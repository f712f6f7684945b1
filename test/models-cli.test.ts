import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runModelsCommand } from '../src/cli/models-command.js';
import { formatBytes, formatDuration, progressLine, PullProgressView } from '../src/cli/progress-bar.js';
import type { ModelSpec } from '../src/models/manifest.js';
import { startModelServer } from './support/model-server.js';
import { tempDir } from './support/test-memory.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

/** The real CLI, in its own process, as a user runs it. */
function engram(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, ENGRAM_MODEL_HOST: '', ENGRAM_MODEL_CATALOGUE: '', ...env },
  });
}

const TINY: ModelSpec[] = [
  {
    name: 'tiny-llm',
    kind: 'llm',
    repo: 'acme/tiny-llm-GGUF',
    revision: 'main',
    files: [{ path: 'tiny.gguf' }],
    slot: 'llm.gguf',
    approxBytes: 300_000,
    description: 'a tiny fake LLM',
  },
  {
    name: 'tiny-embedding',
    kind: 'embedding',
    repo: 'acme/tiny-embedding',
    revision: 'main',
    files: [{ path: 'config.json' }, { path: 'onnx/model_quantized.onnx' }],
    slot: 'embedding',
    approxBytes: 50_000,
    description: 'a tiny fake embedder',
  },
];

async function fakeHubWithCatalogue() {
  const server = await startModelServer();
  const llm = randomBytes(300_000);
  server.addFile('acme/tiny-llm-GGUF', 'tiny.gguf', llm, { lfs: true });
  server.addFile('acme/tiny-embedding', 'config.json', '{"hidden_size": 8}');
  server.addFile('acme/tiny-embedding', 'onnx/model_quantized.onnx', randomBytes(50_000), { lfs: true });
  const dir = tempDir();
  const catalogue = join(dir, 'catalogue.json');
  writeFileSync(catalogue, JSON.stringify(TINY));
  return { server, llm, modelsDir: join(dir, 'models'), env: { ENGRAM_MODEL_CATALOGUE: catalogue } };
}

function capture() {
  const out: string[] = [];
  const err = { text: '', isTTY: false, write(s: string) { this.text += s; } };
  return { out, err, io: { out: (line: string) => void out.push(line), err, env: {} as Record<string, string> } };
}

describe('engram models (the real CLI)', () => {
  it('pulls with plain progress lines on a non-terminal, then lists what is installed', async () => {
    const { server, llm, modelsDir, env } = await fakeHubWithCatalogue();
    const pulled = await engram(['models', 'pull', 'tiny-llm', 'tiny-embedding', '--host', server.url, '--models-dir', modelsDir], env);
    expect(pulled.stdout).toMatch(/installed +tiny-llm +→ .*llm\.gguf/);
    expect(pulled.stdout).toMatch(/installed +tiny-embedding +→ .*embedding/);
    expect(pulled.stderr).toContain('tiny-llm: downloading 300 kB');
    expect(pulled.stderr).toMatch(/tiny-llm: 100% \(300 kB of 300 kB/);
    expect(pulled.stderr).not.toContain('\r'); // no redrawn bar in a log
    expect(readFileSync(join(modelsDir, 'llm.gguf')).equals(llm)).toBe(true);
    expect(existsSync(join(modelsDir, 'embedding', 'onnx', 'model_quantized.onnx'))).toBe(true);

    // Once installed, a pull checks the files offline and skips them; list shows them as verified.
    const again = capture();
    const catalogueEnv = { ...env, ENGRAM_MODEL_HOST: server.url };
    expect(await runModelsCommand(['pull', 'tiny-llm', '--models-dir', modelsDir], { ...again.io, env: catalogueEnv })).toBe(0);
    expect(again.out.join('\n')).toMatch(/up to date tiny-llm/);
    expect(again.err.text).toMatch(/tiny-llm: already installed and intact/);
    const human = capture();
    expect(await runModelsCommand(['list', '--models-dir', modelsDir], { ...human.io, env })).toBe(0);
    expect(human.out.join('\n')).toMatch(/tiny-llm +llm +300 kB +llm\.gguf, checksums verified/);

    const listed = JSON.parse((await engram(['models', 'list', '--json', '--models-dir', modelsDir], env)).stdout) as {
      models: { name: string; default: boolean; installed: { status: string; verified: boolean; slot: string } | null }[];
    };
    const byName = new Map(listed.models.map((m) => [m.name, m]));
    expect(byName.get('qwen2.5-1.5b-instruct')).toMatchObject({ default: true });
    expect(byName.get('qwen2.5-1.5b-instruct')?.installed).toBeNull();
    expect(byName.get('tiny-llm')?.installed).toMatchObject({ status: 'ok', verified: true, slot: 'llm.gguf' });
    expect(byName.get('tiny-embedding')?.installed).toMatchObject({ status: 'ok', verified: true, slot: 'embedding' });

  });

  it('refuses a mirror whose file differs from the pinned default model (exit 1), installing nothing', async () => {
    const server = await startModelServer();
    server.addFile('Qwen/Qwen2.5-0.5B-Instruct-GGUF', 'qwen2.5-0.5b-instruct-q4_k_m.gguf', randomBytes(1000), { lfs: true });
    const modelsDir = join(tempDir(), 'models');
    const failed = await engram(['models', 'pull', 'qwen2.5-0.5b-instruct', '--models-dir', modelsDir], { ENGRAM_MODEL_HOST: server.url }).catch(
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/catalogue pins .*\[MODEL_CHECKSUM_MISMATCH\]/);
    expect(server.contentRequests('qwen2.5-0.5b-instruct-q4_k_m.gguf')).toEqual([]);
    expect(existsSync(join(modelsDir, 'llm.gguf'))).toBe(false);
  });

  it('exits 2 on bad usage', async () => {
    const failed = await engram(['models', 'pull', 'no-such-model']).catch((e: unknown) => e as { code: number; stderr: string });
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(/unknown model "no-such-model"[\s\S]*engram models pull \[name \.\.\.\]/);
  });
});

describe('runModelsCommand (in process)', () => {
  it('answers usage errors with exit code 2 and the usage text', async () => {
    for (const args of [['frobnicate'], ['pull', '--bogus'], ['list', '--host', 'x'], ['pull', '--host', 'ftp://mirror'], []]) {
      const { err, io } = capture();
      expect(await runModelsCommand(args, io), args.join(' ')).toBe(2);
      expect(err.text).toContain('engram models pull [name ...]');
    }
    const { out, io } = capture();
    expect(await runModelsCommand(['--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('ENGRAM_MODEL_HOST');
  });

  it('lists the catalogue, marking the defaults, with nothing installed', async () => {
    const { out, io } = capture();
    expect(await runModelsCommand(['list', '--models-dir', tempDir()], io)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/\* qwen2\.5-1\.5b-instruct +llm +1\.12 GB +-/);
    expect(text).toMatch(/\* bge-small-en-v1\.5 +embedding +34\.7 MB +-/);
    expect(text).toMatch(/ {3}multilingual-e5-small +embedding/);
  });
});

describe('the progress display', () => {
  it('formats sizes and durations', () => {
    expect([999, 1_500, 34_014_426, 1_117_320_736].map(formatBytes)).toEqual(['999 B', '1.50 kB', '34.0 MB', '1.12 GB']);
    expect([formatDuration(42), formatDuration(185), formatDuration(3723), formatDuration(Number.NaN)]).toEqual(['42 s', '3:05', '1:02:03', '?']);
  });

  it('draws a bar with percentage, bytes, speed and time left, within the terminal width', () => {
    const line = progressLine({ model: 'qwen2.5-1.5b-instruct', received: 558_660_368, total: 1_117_320_736, speed: 10_000_000, columns: 100 });
    expect(line).toMatch(/qwen2\.5-1\.5b-instruct +█+░+ +50% +559 MB \/ 1\.12 GB +10\.0 MB\/s +ETA 56 s/);
    expect(line.length).toBeLessThan(100);
    expect(progressLine({ model: 'm', received: 10, total: undefined, speed: undefined, columns: 40 })).toBe('  m  10 B');
  });

  it('redraws one line on a terminal, and writes a line per 10 % elsewhere', () => {
    let clock = 0;
    const tty = { text: '', isTTY: true, columns: 80, write(s: string) { this.text += s; } };
    const log = { text: '', isTTY: false, write(s: string) { this.text += s; } };
    for (const stream of [tty, log]) {
      const view = new PullProgressView(stream, () => clock);
      view.handle({ type: 'model-start', model: 'm', totalBytes: 1_000_000, resumedBytes: 0 });
      for (let received = 0; received <= 1_000_000; received += 50_000) {
        clock += 200;
        view.handle({ type: 'progress', model: 'm', file: 'f', receivedBytes: received, totalBytes: 1_000_000, resumedBytes: 0 });
      }
      view.handle({ type: 'installed', model: 'm', slot: 'llm.gguf', replaced: undefined });
    }
    expect(tty.text).toContain('\r\x1b[2K');
    expect(tty.text).toMatch(/100%  1\.00 MB \/ 1\.00 MB  250 kB\/s\nm: installed as llm\.gguf\n$/);
    const lines = log.text.trim().split('\n');
    expect(lines[0]).toBe('m: downloading 1.00 MB');
    const percentages = lines.filter((l) => /^m: \d+% /.test(l)).map((l) => l.split(' ')[1]);
    expect(percentages).toEqual(['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%']);
    expect(lines.at(-1)).toBe('m: installed as llm.gguf');
  });
});
