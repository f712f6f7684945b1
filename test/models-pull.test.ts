import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransformersEmbedder } from '../src/embed/transformers-embedder.js';
import { INSTALL_RECORD_FILE, InstallRecordSchema, listInstalledModels, verifyInstalledModel } from '../src/models/installed.js';
import { DEFAULT_MODEL_NAMES, isPinnedRevision, MODEL_CATALOGUE, ModelSpecSchema, type ModelSpec } from '../src/models/manifest.js';
import { pullModels, type PullEvent } from '../src/models/pull.js';
import { COMMIT, sha256, startModelServer, type ModelServer } from './support/model-server.js';
import { tempDir } from './support/test-memory.js';

const LLM: ModelSpec = {
  name: 'tiny-llm',
  kind: 'llm',
  repo: 'acme/tiny-llm-GGUF',
  revision: 'main',
  files: [{ path: 'tiny-llm-q4_k_m.gguf' }],
  slot: 'llm.gguf',
  approxBytes: 200_000,
  description: 'a tiny fake LLM',
};
const OTHER_LLM: ModelSpec = { ...LLM, name: 'tiny-llm-2', repo: 'acme/tiny-llm-2-GGUF', files: [{ path: 'tiny-llm-2.gguf' }] };
const EMBEDDING: ModelSpec = {
  name: 'tiny-embedding',
  kind: 'embedding',
  repo: 'acme/tiny-embedding',
  revision: 'main',
  files: [{ path: 'config.json' }, { path: 'tokenizer.json' }, { path: 'tokenizer_config.json' }, { path: 'onnx/model_quantized.onnx' }],
  slot: 'embedding',
  approxBytes: 100_000,
  description: 'a tiny fake embedder',
  pooling: 'cls',
};
const catalogue = [LLM, OTHER_LLM, EMBEDDING];
const fast = { retryDelayMs: 1, catalogue };

type Hub = { server: ModelServer; llm: Buffer; otherLlm: Buffer; onnx: Buffer; json: Record<string, string> };

async function fakeHub(): Promise<Hub> {
  const server = await startModelServer();
  const llm = randomBytes(200_000);
  const otherLlm = randomBytes(150_000);
  const onnx = randomBytes(80_000);
  const json = {
    'config.json': JSON.stringify({ hidden_size: 8, model_type: 'bert' }),
    'tokenizer.json': JSON.stringify({ version: '1.0', model: { type: 'WordLevel', vocab: {} } }),
    'tokenizer_config.json': JSON.stringify({ do_lower_case: true }),
  };
  server.addFile(LLM.repo, 'tiny-llm-q4_k_m.gguf', llm, { lfs: true });
  server.addFile(OTHER_LLM.repo, 'tiny-llm-2.gguf', otherLlm, { lfs: true });
  for (const [path, text] of Object.entries(json)) server.addFile(EMBEDDING.repo, path, text);
  server.addFile(EMBEDDING.repo, 'onnx/model_quantized.onnx', onnx, { lfs: true });
  return { server, llm, otherLlm, onnx, json };
}

const readRecord = (modelsDir: string) => InstallRecordSchema.parse(JSON.parse(readFileSync(join(modelsDir, INSTALL_RECORD_FILE), 'utf8')));

describe('pullModels', () => {
  it('installs an LLM and an embedding model with the right layout and install record', async () => {
    const hub = await fakeHub();
    const modelsDir = join(tempDir(), 'models');
    const events: PullEvent[] = [];
    const result = await pullModels({
      ...fast,
      names: ['tiny-llm', 'tiny-embedding'],
      modelsDir,
      host: hub.server.url,
      onProgress: (e) => events.push(e),
    });

    expect(readFileSync(join(modelsDir, 'llm.gguf')).equals(hub.llm)).toBe(true);
    expect(readFileSync(join(modelsDir, 'embedding/onnx/model_quantized.onnx')).equals(hub.onnx)).toBe(true);
    for (const [path, text] of Object.entries(hub.json)) expect(readFileSync(join(modelsDir, 'embedding', path), 'utf8')).toBe(text);
    expect(JSON.parse(readFileSync(join(modelsDir, 'embedding', 'engram.json'), 'utf8'))).toEqual({ pooling: 'cls' }); // how the embedder must pool
    expect(readdirSync(modelsDir).sort()).toEqual(['embedding', 'installed.json', 'llm.gguf']); // no staging left behind

    const record = readRecord(modelsDir);
    expect(record.models.map((m) => [m.name, m.kind, m.slot, m.repo, m.revision, m.commit, m.host])).toEqual([
      ['tiny-llm', 'llm', 'llm.gguf', LLM.repo, 'main', COMMIT, hub.server.url],
      ['tiny-embedding', 'embedding', 'embedding', EMBEDDING.repo, 'main', COMMIT, hub.server.url],
    ]);
    expect(record.models[0]?.files).toEqual([
      { path: 'tiny-llm-q4_k_m.gguf', file: 'llm.gguf', size: hub.llm.length, sha256: sha256(hub.llm), verifiedBy: 'sha256-hub' },
    ]);
    const embeddingFiles = record.models[1]?.files ?? [];
    expect(embeddingFiles.map((f) => [f.file, f.verifiedBy])).toEqual([
      ['embedding/config.json', 'git-blob-sha1'],
      ['embedding/tokenizer.json', 'git-blob-sha1'],
      ['embedding/tokenizer_config.json', 'git-blob-sha1'],
      ['embedding/onnx/model_quantized.onnx', 'sha256-hub'],
    ]);
    expect(embeddingFiles[0]?.sha256).toBe(sha256(hub.json['config.json'] ?? ''));
    expect(Date.parse(record.models[0]?.installedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);

    expect(result.installed.map((m) => m.name)).toEqual(['tiny-llm', 'tiny-embedding']);
    expect(events.filter((e) => e.type === 'installed').map((e) => e.model)).toEqual(['tiny-llm', 'tiny-embedding']);
    const last = events.filter((e) => e.type === 'progress' && e.model === 'tiny-llm').at(-1);
    expect(last).toMatchObject({ receivedBytes: hub.llm.length, totalBytes: hub.llm.length });

    const listed = await listInstalledModels(modelsDir);
    expect(listed.map((m) => [m.name, m.status, m.verified])).toEqual([
      ['tiny-llm', 'ok', true],
      ['tiny-embedding', 'ok', true],
    ]);
    expect((await verifyInstalledModel(modelsDir, 'tiny-embedding')).ok).toBe(true);
  });

  it('writes the catalogue’s pooling and query/document prefixes to engram.json, where the embedder reads them; no file when it names none', async () => {
    const hub = await fakeHub();
    const prefixed: ModelSpec = { ...EMBEDDING, queryPrefix: 'query: ', documentPrefix: 'passage: ' };
    const modelsDir = tempDir();
    await pullModels({ ...fast, catalogue: [prefixed], names: ['tiny-embedding'], modelsDir, host: hub.server.url });
    const folder = join(modelsDir, 'embedding');
    expect(JSON.parse(readFileSync(join(folder, 'engram.json'), 'utf8'))).toEqual({ pooling: 'cls', queryPrefix: 'query: ', documentPrefix: 'passage: ' });
    // The fake config.json has no _name_or_path: the folder names the model.
    expect(new TransformersEmbedder({ model: folder }).id).toBe('embedding (query: "query: ", document: "passage: ")');

    const plain: ModelSpec = { ...EMBEDDING, pooling: undefined };
    const plainDir = tempDir();
    await pullModels({ ...fast, catalogue: [plain], names: ['tiny-embedding'], modelsDir: plainDir, host: hub.server.url });
    expect(existsSync(join(plainDir, 'embedding', 'engram.json'))).toBe(false);
    expect(new TransformersEmbedder({ model: join(plainDir, 'embedding') }).id).toBe('embedding');
  });

  it('skips models already installed and intact, and downloads them again with force', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    const options = { ...fast, names: ['tiny-llm', 'tiny-embedding'], modelsDir, host: hub.server.url };
    await pullModels(options);
    const before = hub.server.log.length;

    const again = await pullModels(options);
    expect(again.skipped.map((m) => m.name)).toEqual(['tiny-llm', 'tiny-embedding']);
    expect(again.installed).toEqual([]);
    expect(hub.server.log).toHaveLength(before); // not even a HEAD: the check is offline

    const forced = await pullModels({ ...options, names: ['tiny-llm'], force: true });
    expect(forced.installed.map((m) => m.name)).toEqual(['tiny-llm']);
    expect(hub.server.contentRequests('tiny-llm-q4_k_m.gguf')).toHaveLength(2);
  });

  it('downloads a damaged installed model again', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    const options = { ...fast, names: ['tiny-llm'], modelsDir, host: hub.server.url };
    await pullModels(options);
    const bytes = readFileSync(join(modelsDir, 'llm.gguf'));
    bytes[1000] = (bytes[1000] ?? 0) ^ 1;
    writeFileSync(join(modelsDir, 'llm.gguf'), bytes);
    expect((await verifyInstalledModel(modelsDir, 'llm.gguf')).files[0]?.status).toBe('sha256-mismatch');

    const events: PullEvent[] = [];
    const result = await pullModels({ ...options, onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.type)).toContain('damaged');
    expect(result.installed.map((m) => m.name)).toEqual(['tiny-llm']);
    expect(readFileSync(join(modelsDir, 'llm.gguf')).equals(hub.llm)).toBe(true);
  });

  it('on a bad checksum installs nothing and leaves the working model and its record untouched', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    await pullModels({ ...fast, names: ['tiny-llm', 'tiny-embedding'], modelsDir, host: hub.server.url });
    const recordBefore = readFileSync(join(modelsDir, INSTALL_RECORD_FILE), 'utf8');

    hub.server.fault('tiny-llm-2.gguf', { corrupt: true });
    await expect(pullModels({ ...fast, names: ['tiny-llm-2'], modelsDir, host: hub.server.url })).rejects.toMatchObject({
      code: 'MODEL_CHECKSUM_MISMATCH',
    });
    expect(readFileSync(join(modelsDir, 'llm.gguf')).equals(hub.llm)).toBe(true);

    // An embedding folder is swapped only when every file is good: a bad last file keeps the old folder whole.
    hub.server.addFile(EMBEDDING.repo, 'onnx/model_quantized.onnx', randomBytes(90_000), { lfs: true });
    hub.server.fault('onnx/model_quantized.onnx', { corrupt: true });
    await expect(pullModels({ ...fast, names: ['tiny-embedding'], modelsDir, host: hub.server.url, force: true })).rejects.toMatchObject({
      code: 'MODEL_CHECKSUM_MISMATCH',
    });
    expect(readFileSync(join(modelsDir, 'embedding/onnx/model_quantized.onnx')).equals(hub.onnx)).toBe(true);
    expect(readFileSync(join(modelsDir, INSTALL_RECORD_FILE), 'utf8')).toBe(recordBefore);
    expect((await verifyInstalledModel(modelsDir, 'tiny-llm')).ok).toBe(true);
    expect((await verifyInstalledModel(modelsDir, 'tiny-embedding')).ok).toBe(true);
  });

  it('replaces the LLM in its slot when another one is pulled, and says which it replaced', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    await pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: hub.server.url });
    const events: PullEvent[] = [];
    await pullModels({ ...fast, names: ['tiny-llm-2'], modelsDir, host: hub.server.url, onProgress: (e) => events.push(e) });
    expect(readFileSync(join(modelsDir, 'llm.gguf')).equals(hub.otherLlm)).toBe(true);
    expect(events.find((e) => e.type === 'installed')).toMatchObject({ model: 'tiny-llm-2', replaced: 'tiny-llm' });
    expect(readRecord(modelsDir).models.map((m) => m.name)).toEqual(['tiny-llm-2']);
  });

  it('resumes an interrupted pull from the staging folder on the next run', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    hub.server.fault('tiny-llm-q4_k_m.gguf', { cutAfter: 120_000, times: 1 });
    hub.server.fault('tiny-llm-q4_k_m.gguf', { status: 503 }); // and then the server goes down
    await expect(pullModels({ ...fast, retries: 1, names: ['tiny-llm'], modelsDir, host: hub.server.url })).rejects.toMatchObject({
      code: 'MODEL_DOWNLOAD_FAILED',
    });
    expect(existsSync(join(modelsDir, 'llm.gguf'))).toBe(false);
    expect(existsSync(join(modelsDir, INSTALL_RECORD_FILE))).toBe(false);

    hub.server.clearFaults();
    const events: PullEvent[] = [];
    await pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: hub.server.url, onProgress: (e) => events.push(e) });
    const requests = hub.server.contentRequests('tiny-llm-q4_k_m.gguf');
    expect(requests.at(-1)).toMatchObject({ range: expect.stringMatching(/^bytes=\d+-$/), status: 206 });
    const resumedBytes = Number(requests.at(-1)?.range?.slice(6, -1));
    expect(resumedBytes).toBeGreaterThan(0);
    expect(events.find((e) => e.type === 'model-start')).toMatchObject({ resumedBytes });
    expect(readFileSync(join(modelsDir, 'llm.gguf')).equals(hub.llm)).toBe(true);
  });

  it('refuses a server whose announced sha256 contradicts the pinned one, before downloading', async () => {
    const hub = await fakeHub();
    const pinned: ModelSpec = { ...LLM, files: [{ path: 'tiny-llm-q4_k_m.gguf', sha256: 'a'.repeat(64) }] };
    const error = await pullModels({ ...fast, catalogue: [pinned], names: ['tiny-llm'], modelsDir: tempDir(), host: hub.server.url }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'MODEL_CHECKSUM_MISMATCH' });
    expect((error as Error).message).toMatch(/mirror/);
    expect(hub.server.contentRequests('tiny-llm-q4_k_m.gguf')).toEqual([]);
  });

  it('accepts a download that matches the pinned sha256 and records it as pinned', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    const pinned: ModelSpec = { ...LLM, files: [{ path: 'tiny-llm-q4_k_m.gguf', sha256: sha256(hub.llm), size: hub.llm.length }] };
    await pullModels({ ...fast, catalogue: [pinned], names: ['tiny-llm'], modelsDir, host: hub.server.url });
    expect(readRecord(modelsDir).models[0]?.files[0]?.verifiedBy).toBe('sha256-pinned');
  });

  it('rejects a small file that is not valid JSON', async () => {
    const hub = await fakeHub();
    hub.server.addFile(EMBEDDING.repo, 'tokenizer_config.json', '{"do_lower_case": tru');
    const modelsDir = tempDir();
    const error = await pullModels({ ...fast, names: ['tiny-embedding'], modelsDir, host: hub.server.url }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_CHECKSUM_MISMATCH' });
    expect((error as Error).message).toMatch(/tokenizer_config\.json is not valid JSON/);
    expect(existsSync(join(modelsDir, 'embedding'))).toBe(false);
  });

  it('fails with MODEL_DOWNLOAD_FAILED naming the URL when a file is missing on the server', async () => {
    const hub = await fakeHub();
    const missing: ModelSpec = { ...EMBEDDING, files: [...EMBEDDING.files, { path: 'vocab.txt' }] };
    const error = await pullModels({ ...fast, catalogue: [missing], names: ['tiny-embedding'], modelsDir: tempDir(), host: hub.server.url }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'MODEL_DOWNLOAD_FAILED' });
    expect((error as Error).message).toContain(`${hub.server.url}/${EMBEDDING.repo}/resolve/main/vocab.txt`);
  });

  it('offline, fails with MODEL_DOWNLOAD_FAILED and leaves no empty staging folder, nor a models folder it created', async () => {
    const parent = tempDir();
    const modelsDir = join(parent, 'models');
    // A port nothing listens on: as a machine without network sees the hub.
    const error = await pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: 'http://127.0.0.1:9' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_DOWNLOAD_FAILED' });
    expect(readdirSync(parent)).toEqual([]);
    // An existing models folder stays, without a staging folder in it.
    mkdirSync(modelsDir);
    await pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: 'http://127.0.0.1:9' }).catch(() => undefined);
    expect(readdirSync(modelsDir)).toEqual([]);
  });

  it('does not overwrite a file it did not install, unless forced', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    writeFileSync(join(modelsDir, 'llm.gguf'), 'my own model');
    await expect(pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: hub.server.url })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/--force/),
    });
    expect(readFileSync(join(modelsDir, 'llm.gguf'), 'utf8')).toBe('my own model');
    await pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: hub.server.url, force: true });
    expect(readFileSync(join(modelsDir, 'llm.gguf')).equals(hub.llm)).toBe(true);
  });

  it('rejects unknown names, two models for one slot, and a bad host', async () => {
    const modelsDir = tempDir();
    await expect(pullModels({ ...fast, names: ['nope'], modelsDir })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/unknown model "nope".*tiny-llm/),
    });
    await expect(pullModels({ ...fast, names: ['tiny-llm', 'tiny-llm-2'], modelsDir })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/both install into/),
    });
    await expect(pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: 'ftp://example.com' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(readdirSync(modelsDir)).toEqual([]);
  });

  it('refuses to run while another pull holds the slot', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    mkdirSync(join(modelsDir, '.staging'));
    writeFileSync(join(modelsDir, '.staging', 'slot-llm.gguf.lock'), String(process.ppid));
    await expect(pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: hub.server.url })).rejects.toMatchObject({
      code: 'MODEL_DOWNLOAD_FAILED',
      message: expect.stringMatching(/another `engram models pull`/),
    });
    writeFileSync(join(modelsDir, '.staging', 'slot-llm.gguf.lock'), '999999999'); // a process that is gone: taken over
    await pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: hub.server.url });
    expect(existsSync(join(modelsDir, '.staging', 'slot-llm.gguf.lock'))).toBe(false);
  });
});

describe('the install record', () => {
  it('reports missing and changed files, and names the model that is not installed', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    await pullModels({ ...fast, names: ['tiny-llm', 'tiny-embedding'], modelsDir, host: hub.server.url });
    rmSync(join(modelsDir, 'embedding', 'config.json'));
    writeFileSync(join(modelsDir, 'llm.gguf'), 'short');
    expect((await listInstalledModels(modelsDir)).map((m) => [m.name, m.status])).toEqual([
      ['tiny-llm', 'changed'],
      ['tiny-embedding', 'missing'],
    ]);
    const check = await verifyInstalledModel(modelsDir, 'tiny-embedding');
    expect(check.ok).toBe(false);
    expect(check.files.filter((f) => f.status !== 'ok').map((f) => [f.path, f.status])).toEqual([['config.json', 'missing']]);
    await expect(verifyInstalledModel(modelsDir, 'qwen2.5-3b-instruct')).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringMatching(/engram models pull qwen2\.5-3b-instruct/),
    });
  });

  it('refuses to guess over an unreadable record, and --force rewrites it', async () => {
    const hub = await fakeHub();
    const modelsDir = tempDir();
    writeFileSync(join(modelsDir, INSTALL_RECORD_FILE), '{ not json');
    await expect(listInstalledModels(modelsDir)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringMatching(/--force/) });
    await expect(pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: hub.server.url })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await pullModels({ ...fast, names: ['tiny-llm'], modelsDir, host: hub.server.url, force: true });
    expect(readRecord(modelsDir).models.map((m) => m.name)).toEqual(['tiny-llm']);
  });
});

describe('the built-in catalogue', () => {
  it('pins every model to a commit and every weight file to a sha256 and size', () => {
    for (const spec of MODEL_CATALOGUE) {
      expect(ModelSpecSchema.safeParse(spec).success).toBe(true);
      expect(isPinnedRevision(spec.revision), spec.name).toBe(true);
      for (const file of spec.files.filter((f) => /\.(gguf|onnx)$/.test(f.path))) {
        expect(file.sha256, `${spec.name} ${file.path}`).toMatch(/^[0-9a-f]{64}$/);
        expect(file.size, `${spec.name} ${file.path}`).toBeGreaterThan(1_000_000);
      }
    }
  });

  it('gives each built-in embedder the pooling and prefixes it was trained with', () => {
    const settings = (name: string) => {
      const spec = MODEL_CATALOGUE.find((s) => s.name === name);
      return [spec?.kind, spec?.pooling, spec?.queryPrefix, spec?.documentPrefix];
    };
    expect(settings('bge-small-en-v1.5')).toEqual(['embedding', 'cls', 'Represent this sentence for searching relevant passages: ', undefined]);
    expect(settings('multilingual-e5-small')).toEqual(['embedding', undefined, 'query: ', 'passage: ']);
    expect(settings('all-minilm-l6-v2')).toEqual(['embedding', undefined, undefined, undefined]);
  });

  it('has the default LLM in llm.gguf and the default embedder in embedding/', () => {
    const defaults = DEFAULT_MODEL_NAMES.map((name) => MODEL_CATALOGUE.find((s) => s.name === name));
    expect(defaults.map((s) => [s?.name, s?.kind, s?.slot, s?.repo])).toEqual([
      ['qwen2.5-1.5b-instruct', 'llm', 'llm.gguf', 'Qwen/Qwen2.5-1.5B-Instruct-GGUF'],
      ['bge-small-en-v1.5', 'embedding', 'embedding', 'Xenova/bge-small-en-v1.5'],
    ]);
    expect(MODEL_CATALOGUE.find((s) => s.name === 'bge-small-en-v1.5')?.files.map((f) => f.path)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model_quantized.onnx',
    ]);
  });
});
