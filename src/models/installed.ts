import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { EngramError } from '../errors.js';
import { sha256File } from './file-digest.js';
import { ModelKindSchema, Sha256Schema } from './manifest.js';

/** The install record, `<modelsDir>/installed.json`: what `engram models pull` put where. */
export const INSTALL_RECORD_FILE = 'installed.json';

/**
 * What a file was checked against when it was downloaded:
 * `sha256-pinned` — the sha256 in Engram's catalogue; `sha256-hub` — the sha256
 * the hub announced (`X-Linked-Etag`); `git-blob-sha1` — the git blob id the hub
 * announced (`ETag`, plain git files); `size` — only its size (and, for JSON, that it parses).
 */
export const VerifiedBySchema = z.enum(['sha256-pinned', 'sha256-hub', 'git-blob-sha1', 'size']);
export type VerifiedBy = z.infer<typeof VerifiedBySchema>;

export const InstalledFileSchema = z.strictObject({
  /** Path in the repository. */
  path: z.string().min(1),
  /** Where it is, relative to the models folder. */
  file: z.string().min(1),
  size: z.number().int().min(0),
  /** sha256 of the installed bytes: every later check compares with this, offline. */
  sha256: Sha256Schema,
  verifiedBy: VerifiedBySchema,
});
export type InstalledFile = z.infer<typeof InstalledFileSchema>;

export const InstalledModelSchema = z.strictObject({
  name: z.string().min(1),
  kind: ModelKindSchema,
  repo: z.string().min(1),
  revision: z.string().min(1),
  /** The commit the revision resolved to, when the server said (`X-Repo-Commit`). */
  commit: z.string().optional(),
  /** Where it was downloaded from. */
  host: z.string().min(1),
  /** Relative to the models folder: `llm.gguf`, `embedding`. */
  slot: z.string().min(1),
  files: z.array(InstalledFileSchema).min(1),
  installedAt: z.iso.datetime(),
});
export type InstalledModel = z.infer<typeof InstalledModelSchema>;

export const InstallRecordSchema = z.strictObject({
  version: z.literal(1),
  models: z.array(InstalledModelSchema),
});
export type InstallRecord = z.infer<typeof InstallRecordSchema>;

/** Reads the install record; an absent file is an empty record. */
export async function readInstallRecord(modelsDir: string): Promise<InstallRecord> {
  const file = join(modelsDir, INSTALL_RECORD_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, models: [] };
    throw new EngramError('MODEL_NOT_FOUND', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw badRecord(file, (error as Error).message, error);
  }
  const parsed = InstallRecordSchema.safeParse(data);
  if (!parsed.success) throw badRecord(file, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), parsed.error);
  return parsed.data;
}

function badRecord(file: string, problem: string, cause: unknown): EngramError {
  return new EngramError(
    'MODEL_NOT_FOUND',
    `${file} is not a valid install record (${problem}); run \`engram models pull --force\` to reinstall the models and rewrite it`,
    { cause },
  );
}

/** Writes the install record atomically (a temp file renamed over the old one). */
export async function writeInstallRecord(modelsDir: string, record: InstallRecord): Promise<void> {
  const checked = InstallRecordSchema.parse(record);
  await mkdir(modelsDir, { recursive: true });
  const file = join(modelsDir, INSTALL_RECORD_FILE);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(checked, null, 2)}\n`);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

export type InstalledModelStatus = 'ok' | 'missing' | 'changed';

export type InstalledModelState = InstalledModel & {
  /** A quick check (files present, sizes equal); `verifyInstalledModel` re-hashes. */
  status: InstalledModelStatus;
  /**
   * Whether every file was checked against a content hash when downloaded (a
   * sha256, or the git blob id of a small file), not only against its size.
   */
  verified: boolean;
};

/**
 * The models `engram models pull` installed in `modelsDir`, each with a quick
 * check that its files are still there at their recorded size.
 */
export async function listInstalledModels(modelsDir: string): Promise<InstalledModelState[]> {
  const record = await readInstallRecord(modelsDir);
  return Promise.all(
    record.models.map(async (model) => {
      let status: InstalledModelStatus = 'ok';
      for (const file of model.files) {
        const size = await sizeOrUndefined(join(modelsDir, file.file));
        if (size === undefined) {
          status = 'missing';
          break;
        }
        if (size !== file.size) status = 'changed';
      }
      return { ...model, status, verified: model.files.every((f) => f.verifiedBy !== 'size') };
    }),
  );
}

export type FileCheck = {
  path: string;
  file: string;
  status: 'ok' | 'missing' | 'size-mismatch' | 'sha256-mismatch';
  expectedSize: number;
  actualSize: number | undefined;
  expectedSha256: string;
  actualSha256: string | undefined;
};

export type VerifyResult = { name: string; slot: string; ok: boolean; files: FileCheck[] };

/**
 * Re-hashes every file of an installed model (by name or slot) and compares it
 * with the install record — offline. Never throws for a damaged model: the
 * result says which file is missing or differs. Throws MODEL_NOT_FOUND when the
 * record has no such model.
 *
 * @example
 * const { ok, files } = await verifyInstalledModel('models', 'qwen2.5-1.5b-instruct');
 */
export async function verifyInstalledModel(
  modelsDir: string,
  model: string,
  options: { onFile?: ((file: InstalledFile) => void) | undefined } = {},
): Promise<VerifyResult> {
  const record = await readInstallRecord(modelsDir);
  const entry = record.models.find((m) => m.name === model) ?? record.models.find((m) => m.slot === model);
  if (!entry) {
    throw new EngramError(
      'MODEL_NOT_FOUND',
      `no model "${model}" is installed in ${modelsDir} (installed: ${record.models.map((m) => m.name).join(', ') || 'none'}); ` +
        `run \`engram models pull ${model}\``,
    );
  }
  return verifyEntry(modelsDir, entry, options.onFile);
}

/** Re-hashes the files of one install-record entry. */
export async function verifyEntry(modelsDir: string, entry: InstalledModel, onFile?: (file: InstalledFile) => void): Promise<VerifyResult> {
  const files: FileCheck[] = [];
  for (const file of entry.files) {
    onFile?.(file);
    const base = { path: file.path, file: file.file, expectedSize: file.size, expectedSha256: file.sha256 };
    const path = join(modelsDir, file.file);
    const size = await sizeOrUndefined(path);
    if (size === undefined) {
      files.push({ ...base, status: 'missing', actualSize: undefined, actualSha256: undefined });
    } else if (size !== file.size) {
      files.push({ ...base, status: 'size-mismatch', actualSize: size, actualSha256: undefined });
    } else {
      const { sha256 } = await sha256File(path);
      files.push({ ...base, status: sha256 === file.sha256 ? 'ok' : 'sha256-mismatch', actualSize: size, actualSha256: sha256 });
    }
  }
  return { name: entry.name, slot: entry.slot, ok: files.every((f) => f.status === 'ok'), files };
}

async function sizeOrUndefined(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}
