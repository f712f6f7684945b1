import { readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { z } from 'zod';
import { EngramError, isEngramError } from '../errors.js';
import { EMBEDDER_SETTINGS_FILE, type EmbedderSettings } from '../embed/transformers-embedder.js';
import { validate } from '../validate.js';
import { downloadFile } from './download.js';
import { gitBlobSha1, sha256File } from './file-digest.js';
import {
  readInstallRecord,
  verifyEntry,
  writeInstallRecord,
  type InstalledFile,
  type InstalledModel,
  type InstallRecord,
  type VerifiedBy,
} from './installed.js';
import { DEFAULT_MODEL_NAMES, findModels, MODEL_CATALOGUE, ModelSpecSchema, type ModelSpec } from './manifest.js';
import { networkFailure, type FetchLike } from './network-errors.js';
import { headRemoteFile, resolveUrl, type RemoteFileInfo } from './remote-file.js';
import { checkDiskSpace, clearStage, installIntoSlot, lockSlot, prepareStage, STAGING_DIR, stagingPaths } from './staging.js';

export type PullEvent =
  /** Checking an installed copy before deciding to skip it (re-hashes its files). */
  | { type: 'verifying'; model: string; slot: string }
  /** The installed copy failed its check and is downloaded again. */
  | { type: 'damaged'; model: string; slot: string; files: string[] }
  | { type: 'resolving'; model: string; files: number }
  | { type: 'model-start'; model: string; totalBytes: number | undefined; resumedBytes: number }
  | {
      type: 'progress';
      model: string;
      file: string;
      /** Bytes of this model on disk so far. */
      receivedBytes: number;
      totalBytes: number | undefined;
      /** Bytes of `receivedBytes` that were on disk before this run (do not count them for speed). */
      resumedBytes: number;
    }
  | { type: 'file-done'; model: string; file: string; size: number; sha256: string; verifiedBy: VerifiedBy }
  | { type: 'installed'; model: string; slot: string; replaced: string | undefined }
  | { type: 'skipped'; model: string; slot: string };

export type PullOptions = {
  /** Catalogue names. @default DEFAULT_MODEL_NAMES (one LLM, one embedder) */
  names?: readonly string[] | undefined;
  /** @default 'models' */
  modelsDir?: string | undefined;
  /** Where `/<repo>/resolve/<revision>/<file>` is served. @default process.env.ENGRAM_MODEL_HOST ?? 'https://huggingface.co' */
  host?: string | undefined;
  /** Download and reinstall even when a verified copy is installed; replace files not installed by a pull. */
  force?: boolean | undefined;
  onProgress?: ((event: PullEvent) => void) | undefined;
  /** Cancels; downloaded parts stay in `<modelsDir>/.staging/` and the next pull resumes them. */
  signal?: AbortSignal | undefined;
  /** @default MODEL_CATALOGUE */
  catalogue?: readonly ModelSpec[] | undefined;
  fetch?: FetchLike | undefined;
  /** Per file, failed attempts in a row that are retried. @default 5 */
  retries?: number | undefined;
  /** @default 1000 */
  retryDelayMs?: number | undefined;
};

export type PullResult = { modelsDir: string; installed: InstalledModel[]; skipped: InstalledModel[] };

const isFunction = (value: unknown) => typeof value === 'function';
const HostSchema = z.string().refine(
  (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { error: 'must be an http:// or https:// URL' },
);

const PullOptionsSchema = z.strictObject({
  names: z.array(z.string().min(1)).min(1).optional(),
  modelsDir: z.string().min(1).default('models'),
  host: HostSchema.optional(),
  force: z.boolean().default(false),
  onProgress: z.custom<(event: PullEvent) => void>(isFunction, { error: 'must be a function' }).optional(),
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal, { error: 'must be an AbortSignal' }).optional(),
  catalogue: z.array(ModelSpecSchema).optional(),
  fetch: z.custom<FetchLike>(isFunction, { error: 'must be a function' }).optional(),
  retries: z.number().int().min(0).max(100).optional(),
  retryDelayMs: z.number().int().min(0).max(60_000).optional(),
});
type PullConfig = z.output<typeof PullOptionsSchema> & { host: string; modelsDir: string };

/** A file as it will be downloaded: the URL and everything it must match. */
type PlannedFile = {
  path: string;
  url: string;
  size: number | undefined;
  sha256: string | undefined;
  gitBlobSha1: string | undefined;
  verifiedBy: VerifiedBy;
};

/**
 * Downloads models from the catalogue and installs them into `modelsDir`:
 * each file is checked (size; sha256 pinned in the catalogue or announced by the
 * hub; JSON files must parse), staged in `<modelsDir>/.staging/`, and only a
 * complete, verified model is moved into its slot (`llm.gguf`, `embedding/`),
 * replacing the previous one atomically. `installed.json` records what was
 * installed, with each file's sha256, so later loads can be checked offline.
 * A model already installed and intact is skipped unless `force`.
 *
 * This is the only part of Engram that uses the network.
 *
 * @example
 * await pullModels({ names: ['qwen2.5-0.5b-instruct'], onProgress: (e) => console.error(e) });
 */
export async function pullModels(options: PullOptions = {}): Promise<PullResult> {
  const parsed = validate(PullOptionsSchema, options, 'options');
  const config: PullConfig = {
    ...parsed,
    host: (parsed.host ?? (process.env.ENGRAM_MODEL_HOST || 'https://huggingface.co')).replace(/\/+$/, ''),
    modelsDir: resolve(parsed.modelsDir),
  };
  validate(HostSchema, config.host, 'ENGRAM_MODEL_HOST');
  const catalogue = config.catalogue ?? MODEL_CATALOGUE;
  const specs = findModels([...new Set(config.names ?? DEFAULT_MODEL_NAMES)], catalogue);
  for (const [i, spec] of specs.entries()) {
    const other = specs.slice(0, i).find((s) => s.slot === spec.slot);
    if (other) {
      throw new EngramError(
        'INVALID_INPUT',
        `${other.name} and ${spec.name} both install into ${join(config.modelsDir, spec.slot)}; pull only one of them`,
      );
    }
  }
  const result: PullResult = { modelsDir: config.modelsDir, installed: [], skipped: [] };
  const hadModelsDir = await exists(config.modelsDir);
  try {
    for (const spec of specs) {
      const outcome = await pullOne(spec, config);
      (outcome.skipped ? result.skipped : result.installed).push(outcome.model);
    }
  } finally {
    // Only when empty: parts of a failed download stay, so the next pull resumes them; a pull that got nothing leaves nothing.
    await rmdir(join(config.modelsDir, STAGING_DIR)).catch(() => undefined);
    if (!hadModelsDir) await rmdir(config.modelsDir).catch(() => undefined);
  }
  return result;
}

async function pullOne(spec: ModelSpec, config: PullConfig): Promise<{ skipped: boolean; model: InstalledModel }> {
  const { modelsDir } = config;
  try {
    const record = await readRecordForPull(modelsDir, config.force);
    const current = record.models.find((m) => m.slot === spec.slot);
    if (await isInstalledAndIntact(spec, current, config)) return { skipped: true, model: current as InstalledModel };
    const paths = stagingPaths(modelsDir, spec);
    const unlock = await lockSlot(paths.lock, spec);
    try {
      const model = await downloadAndInstall(spec, config, paths);
      const latest = await readRecordForPull(modelsDir, config.force); // another pull may have filled another slot meanwhile
      await writeInstallRecord(modelsDir, { version: 1, models: [...latest.models.filter((m) => m.slot !== spec.slot), model] });
      await clearStage(paths);
      const replaced = current && current.name !== spec.name ? current.name : undefined;
      config.onProgress?.({ type: 'installed', model: spec.name, slot: spec.slot, replaced });
      return { skipped: false, model };
    } finally {
      await unlock();
    }
  } catch (error) {
    throw isEngramError(error) ? error : networkFailure(join(modelsDir, spec.slot), error, 'installing into');
  }
}

/** True when the slot holds this very model and its files still hash to the record; false means: download. */
async function isInstalledAndIntact(spec: ModelSpec, current: InstalledModel | undefined, config: PullConfig): Promise<boolean> {
  const emit = (event: PullEvent) => config.onProgress?.(event);
  if (!config.force && current && isSameModel(current, spec)) {
    emit({ type: 'verifying', model: spec.name, slot: spec.slot });
    const check = await verifyEntry(config.modelsDir, current);
    if (check.ok) {
      emit({ type: 'skipped', model: spec.name, slot: spec.slot });
      return true;
    }
    emit({ type: 'damaged', model: spec.name, slot: spec.slot, files: check.files.filter((f) => f.status !== 'ok').map((f) => f.path) });
  }
  if (!config.force && !current && (await exists(join(config.modelsDir, spec.slot)))) {
    throw new EngramError(
      'INVALID_INPUT',
      `${join(config.modelsDir, spec.slot)} exists but was not installed by \`engram models pull\`; move it away, or pass --force to replace it`,
    );
  }
  return false;
}

/** Looks the files up, downloads them into the staging folder, and moves the verified model into its slot. */
async function downloadAndInstall(spec: ModelSpec, config: PullConfig, paths: ReturnType<typeof stagingPaths>): Promise<InstalledModel> {
  config.onProgress?.({ type: 'resolving', model: spec.name, files: spec.files.length });
  const planned: PlannedFile[] = [];
  let commit: string | undefined;
  for (const file of spec.files) {
    const url = resolveUrl(config.host, spec.repo, spec.revision, file.path);
    const info = await headRemoteFile(url, { fetch: config.fetch, signal: config.signal, retryDelayMs: config.retryDelayMs });
    planned.push(planFile(spec, file, info, config.host));
    commit ??= info.commit;
  }
  await prepareStage(paths, { repo: spec.repo, revision: spec.revision, files: planned.map(({ path, size, sha256 }) => ({ path, size, sha256 })) });
  const onDisk = await Promise.all(planned.map((f) => stagedSize(join(paths.stage, f.path))));
  const totalBytes = planned.every((f) => f.size !== undefined) ? planned.reduce((sum, f) => sum + (f.size ?? 0), 0) : undefined;
  const resumedBytes = onDisk.reduce((a, b) => a + b, 0);
  await checkDiskSpace(config.modelsDir, Math.max(0, (totalBytes ?? 0) - resumedBytes));
  config.onProgress?.({ type: 'model-start', model: spec.name, totalBytes, resumedBytes });

  const files = await fetchAll(spec, planned, paths.stage, config, { totalBytes });
  if (spec.kind === 'embedding') await writeEmbedderSettings(paths.stage, spec);
  await installIntoSlot(config.modelsDir, spec, paths.stage);
  return {
    name: spec.name,
    kind: spec.kind,
    repo: spec.repo,
    revision: spec.revision,
    ...(commit !== undefined ? { commit } : {}),
    host: config.host,
    slot: spec.slot,
    files,
    installedAt: new Date().toISOString(),
  };
}

/** How the embedder must use the model (pooling, query and document prefixes), beside its files; nothing when the catalogue says nothing. */
async function writeEmbedderSettings(folder: string, spec: ModelSpec): Promise<void> {
  const settings: EmbedderSettings = {
    ...(spec.pooling !== undefined ? { pooling: spec.pooling } : {}),
    ...(spec.queryPrefix !== undefined ? { queryPrefix: spec.queryPrefix } : {}),
    ...(spec.documentPrefix !== undefined ? { documentPrefix: spec.documentPrefix } : {}),
  };
  if (Object.keys(settings).length === 0) return;
  await writeFile(join(folder, EMBEDDER_SETTINGS_FILE), `${JSON.stringify(settings)}\n`);
}

/** Downloads every file of a model into its staging folder, checking each one. */
async function fetchAll(
  spec: ModelSpec,
  planned: PlannedFile[],
  stage: string,
  config: PullConfig,
  totals: { totalBytes: number | undefined },
): Promise<InstalledFile[]> {
  const emit = (event: PullEvent) => config.onProgress?.(event);
  const files: InstalledFile[] = [];
  let doneBytes = 0;
  let resumedBefore = 0;
  for (const file of planned) {
    const destination = join(stage, file.path);
    let fileResumed: number | undefined;
    const reused = await reuseStagedFile(destination, file);
    const result =
      reused ??
      (await downloadFile(file.url, destination, {
        expectedSha256: file.sha256,
        expectedSize: file.size,
        signal: config.signal,
        fetch: config.fetch,
        retries: config.retries,
        retryDelayMs: config.retryDelayMs,
        onProgress: (p) => {
          fileResumed ??= p.resumedBytes;
          emit({
            type: 'progress',
            model: spec.name,
            file: file.path,
            receivedBytes: doneBytes + p.receivedBytes,
            totalBytes: totals.totalBytes,
            resumedBytes: resumedBefore + fileResumed,
          });
        },
      }));
    await checkContent(file, destination, result.size);
    doneBytes += result.size;
    resumedBefore += reused ? result.size : (fileResumed ?? 0);
    emit({ type: 'file-done', model: spec.name, file: file.path, size: result.size, sha256: result.sha256, verifiedBy: file.verifiedBy });
    const installedPath = spec.kind === 'llm' ? spec.slot : posix.join(spec.slot, file.path);
    files.push({ path: file.path, file: installedPath, size: result.size, sha256: result.sha256, verifiedBy: file.verifiedBy });
  }
  return files;
}

/** Combines the catalogue's pins with what the server announced; a contradiction stops the pull before any download. */
function planFile(spec: ModelSpec, file: ModelSpec['files'][number], info: RemoteFileInfo, host: string): PlannedFile {
  const where = `${spec.repo}/${file.path} at ${spec.revision}`;
  const differs = (what: string, announced: string | number, pinned: string | number) =>
    new EngramError(
      'MODEL_CHECKSUM_MISMATCH',
      `${host} announces ${what} ${announced} for ${where}, but Engram's catalogue pins ${pinned}: the server holds a different file. ` +
        'If you use a mirror (--host / ENGRAM_MODEL_HOST), it is out of date or altered; nothing was downloaded',
      { details: { url: info.url, what, announced, pinned } },
    );
  if (file.sha256 !== undefined && info.sha256 !== undefined && file.sha256 !== info.sha256) throw differs('sha256', info.sha256, file.sha256);
  if (file.size !== undefined && info.size !== undefined && file.size !== info.size) throw differs('a size of', info.size, file.size);
  const sha256 = file.sha256 ?? info.sha256;
  let verifiedBy: VerifiedBy = 'size';
  if (file.sha256 !== undefined) verifiedBy = 'sha256-pinned';
  else if (info.sha256 !== undefined) verifiedBy = 'sha256-hub';
  else if (info.gitBlobSha1 !== undefined) verifiedBy = 'git-blob-sha1';
  return { path: file.path, url: info.url, size: file.size ?? info.size, sha256, gitBlobSha1: info.gitBlobSha1, verifiedBy };
}

/** Checks a plain git file that has no sha256: its git blob id when the hub gave one, and that JSON parses. */
async function checkContent(file: PlannedFile, destination: string, size: number): Promise<void> {
  const fail = async (problem: string) => {
    await rm(destination, { force: true });
    throw new EngramError('MODEL_CHECKSUM_MISMATCH', `the file downloaded from ${file.url} ${problem}; it was deleted — run the command again`, {
      details: { url: file.url },
    });
  };
  if (file.sha256 === undefined && file.gitBlobSha1 !== undefined) {
    const actual = await gitBlobSha1(destination, size);
    if (actual !== file.gitBlobSha1) await fail(`has git blob id ${actual}, the server announced ${file.gitBlobSha1}`);
  }
  if (file.path.endsWith('.json')) {
    try {
      JSON.parse(await readFile(destination, 'utf8'));
    } catch {
      await fail('is not valid JSON');
    }
  }
}

/** A file finished by an earlier, interrupted pull is kept when it matches its sha256. */
async function reuseStagedFile(destination: string, file: PlannedFile): Promise<{ size: number; sha256: string } | undefined> {
  if (!(await exists(destination))) return undefined;
  const { sha256, size } = await sha256File(destination);
  if (file.sha256 !== undefined && sha256 === file.sha256 && (file.size === undefined || size === file.size)) return { size, sha256 };
  await rm(destination, { force: true });
  return undefined;
}

function isSameModel(installed: InstalledModel, spec: ModelSpec): boolean {
  if (installed.name !== spec.name || installed.repo !== spec.repo || installed.revision !== spec.revision) return false;
  if (installed.files.length !== spec.files.length) return false;
  return spec.files.every((file) => {
    const got = installed.files.find((f) => f.path === file.path);
    return got !== undefined && (file.sha256 === undefined || got.sha256 === file.sha256) && (file.size === undefined || got.size === file.size);
  });
}

async function readRecordForPull(modelsDir: string, force: boolean): Promise<InstallRecord> {
  try {
    return await readInstallRecord(modelsDir);
  } catch (error) {
    if (force && isEngramError(error, 'MODEL_NOT_FOUND')) return { version: 1, models: [] }; // unreadable: --force rewrites it
    throw error;
  }
}

async function stagedSize(file: string): Promise<number> {
  for (const candidate of [file, `${file}.part`]) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) return info.size;
  }
  return 0;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
