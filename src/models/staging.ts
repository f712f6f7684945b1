import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EngramError } from '../errors.js';
import type { ModelSpec } from './manifest.js';

/**
 * The staging area, `<modelsDir>/.staging/`: downloads land here (on the same
 * disk as the slots, so installing is a rename) and stay across runs, so an
 * interrupted pull resumes. Nothing in it is ever loaded as a model.
 */
export const STAGING_DIR = '.staging';

/** What a staging folder was started for; a different plan means its parts are stale. */
export type StagePlan = { repo: string; revision: string; files: { path: string; size?: number | undefined; sha256?: string | undefined }[] };

export function stagingPaths(modelsDir: string, spec: ModelSpec): { root: string; stage: string; plan: string; lock: string } {
  const root = join(modelsDir, STAGING_DIR);
  const slotKey = spec.slot.replaceAll('/', '__');
  return { root, stage: join(root, spec.name), plan: join(root, `${spec.name}.plan.json`), lock: join(root, `slot-${slotKey}.lock`) };
}

/**
 * Takes the slot's lock so two `engram models pull` processes never write the
 * same files. A lock whose process is gone is taken over.
 */
export async function lockSlot(lockFile: string, spec: ModelSpec): Promise<() => Promise<void>> {
  await mkdir(dirname(lockFile), { recursive: true });
  try {
    await writeFile(lockFile, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new EngramError(
        'MODEL_DOWNLOAD_FAILED',
        `another \`engram models pull\` (process ${holder}) is installing into ${spec.slot}; wait for it to finish ` +
          `(or, if no such process is running, delete ${lockFile})`,
      );
    }
    await writeFile(lockFile, String(process.pid)); // stale: its process is gone
  }
  return () => rm(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Keeps the staged files of the same plan (to resume them); clears them otherwise. */
export async function prepareStage(paths: { stage: string; plan: string }, plan: StagePlan): Promise<void> {
  const wanted = JSON.stringify(plan);
  const previous = await readFile(paths.plan, 'utf8').catch(() => undefined);
  if (previous !== wanted) {
    await rm(paths.stage, { recursive: true, force: true });
    await mkdir(dirname(paths.plan), { recursive: true });
    await writeFile(paths.plan, wanted);
  }
  await mkdir(paths.stage, { recursive: true });
}

export async function clearStage(paths: { stage: string; plan: string }): Promise<void> {
  await rm(paths.stage, { recursive: true, force: true });
  await rm(paths.plan, { force: true });
}

/** Fails early, before any byte is fetched, when the disk cannot hold what remains to download. */
export async function checkDiskSpace(dir: string, bytesNeeded: number): Promise<void> {
  let available: number;
  try {
    const info = await statfs(dir);
    available = info.bavail * info.bsize;
  } catch {
    return; // not every platform or filesystem answers; the write will fail clearly if the disk fills
  }
  const margin = 16 * 1024 * 1024;
  if (available < bytesNeeded + margin) {
    throw new EngramError(
      'MODEL_DOWNLOAD_FAILED',
      `not enough disk space in ${dir}: ${formatMiB(bytesNeeded)} to download, ${formatMiB(available)} free — ` +
        'free some space or choose --models-dir on another disk',
      { details: { dir, bytesNeeded, available } },
    );
  }
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Moves a fully verified model from the staging area into its slot. A single
 * file replaces the old one in one rename; a folder is swapped with two renames
 * (the old folder is moved aside first and put back if the second rename fails).
 * Either way a half-pulled model never reaches the slot.
 */
export async function installIntoSlot(modelsDir: string, spec: ModelSpec, stage: string): Promise<void> {
  const target = join(modelsDir, spec.slot);
  await mkdir(dirname(target), { recursive: true });
  if (spec.kind === 'llm') {
    const only = spec.files[0];
    if (!only) throw new Error(`model ${spec.name} has no file`);
    const existing = await stat(target).catch(() => undefined);
    if (existing?.isDirectory()) {
      throw new EngramError('INVALID_INPUT', `${target} is a folder; an LLM is installed as one file there — move the folder away`);
    }
    await rename(join(stage, only.path), target);
    return;
  }
  const aside = join(modelsDir, STAGING_DIR, `${spec.name}.replaced-${randomBytes(4).toString('hex')}`);
  const hadOld = await stat(target).then(
    () => true,
    () => false,
  );
  if (hadOld) await rename(target, aside);
  try {
    await rename(stage, target);
  } catch (error) {
    if (hadOld) await rename(aside, target).catch(() => undefined);
    throw error;
  }
  if (hadOld) await rm(aside, { recursive: true, force: true });
}
