import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { EngramError } from '../errors.js';
import { listInstalledModels, type InstalledModelState } from '../models/installed.js';
import { DEFAULT_MODEL_NAMES, MODEL_CATALOGUE, mergeCatalogues, readCatalogueFile, type ModelSpec } from '../models/manifest.js';
import { pullModels } from '../models/pull.js';
import { formatBytes, PullProgressView, type ProgressStream } from './progress-bar.js';
import { resolveRuntimeConfig } from './runtime-config.js';

export const MODELS_USAGE = `engram models — download the local models (the only command that uses the network)

Usage:
  engram models pull [name ...] [--models-dir <dir>] [--host <url>] [--force]
  engram models list [--models-dir <dir>] [--json]

  pull   download models, verify their checksums and install them into the models folder;
         without a name: ${DEFAULT_MODEL_NAMES.join(' and ')}. An interrupted download resumes.
  list   the models you can pull, and what is installed

Options:
  --models-dir <dir>  where models are installed (env ENGRAM_MODELS_DIR; default: ./models if present,
                      else the models folder in your data folder — where every other command looks)
  --host <url>        a Hugging Face mirror (env ENGRAM_MODEL_HOST; default: https://huggingface.co)
  --force             download again even when installed and intact
  --json              print the list as JSON

Environment:
  ENGRAM_MODEL_CATALOGUE  a JSON file of extra model entries (same fields as the built-in ones)
`;

export type ModelsCommandIo = {
  out: (line: string) => void;
  err: ProgressStream;
  env: Record<string, string | undefined>;
};

const HostSchema = z.url({ protocol: /^https?$/, error: '--host must be an http:// or https:// URL' });

const PullArgsSchema = z.strictObject({
  names: z.array(z.string()),
  modelsDir: z.string().min(1, { error: '--models-dir must not be empty' }),
  host: HostSchema.optional(),
  force: z.boolean(),
});

/** `engram models …`. Returns the exit code: 0 ok, 1 an Engram error (thrown), 2 bad usage. */
export async function runModelsCommand(argv: string[], io: ModelsCommandIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    if (error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      return usageError(io, error.message);
    }
    throw error;
  }
  const { values, positionals } = parsed;
  const [subcommand, ...rest] = positionals;
  if (values.help || subcommand === undefined) {
    (values.help ? io.out : (line: string) => io.err.write(`${line}\n`))(MODELS_USAGE);
    return values.help ? 0 : 2;
  }
  const catalogue = loadCatalogue(io.env);
  if (subcommand === 'pull') {
    const args = PullArgsSchema.safeParse({
      names: rest,
      modelsDir: resolveRuntimeConfig({ 'models-dir': values['models-dir'] }, io.env).modelsDir,
      host: values.host,
      force: values.force ?? false,
    });
    if (!args.success) return usageError(io, args.error.issues.map((i) => i.message).join('; '));
    const unknown = args.data.names.filter((name) => !catalogue.some((spec) => spec.name === name));
    if (unknown.length > 0) {
      const names = unknown.map((n) => `"${n}"`).join(', ');
      return usageError(io, `unknown model${unknown.length > 1 ? 's' : ''} ${names}; see \`engram models list\``);
    }
    if (values.json) return usageError(io, '--json applies to `engram models list`');
    return pull(args.data, catalogue, io);
  }
  if (subcommand === 'list') {
    if (rest.length > 0 || values.host !== undefined || values.force) {
      return usageError(io, '`engram models list` takes only --models-dir and --json');
    }
    return list(resolve(resolveRuntimeConfig({ 'models-dir': values['models-dir'] }, io.env).modelsDir), catalogue, values.json ?? false, io);
  }
  return usageError(io, `unknown subcommand "${subcommand}"`);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'models-dir': { type: 'string' },
      host: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function usageError(io: ModelsCommandIo, message: string): number {
  io.err.write(`engram models: ${message}\n\n${MODELS_USAGE}`);
  return 2;
}

function loadCatalogue(env: Record<string, string | undefined>): ModelSpec[] {
  const extra = env.ENGRAM_MODEL_CATALOGUE;
  return extra ? mergeCatalogues(MODEL_CATALOGUE, readCatalogueFile(extra)) : [...MODEL_CATALOGUE];
}

async function pull(args: z.infer<typeof PullArgsSchema>, catalogue: ModelSpec[], io: ModelsCommandIo): Promise<number> {
  const host = args.host ?? (io.env.ENGRAM_MODEL_HOST || undefined);
  if (host !== undefined && !HostSchema.safeParse(host).success) {
    throw new EngramError('INVALID_INPUT', `ENGRAM_MODEL_HOST must be an http:// or https:// URL, not "${host}"`);
  }
  const view = new PullProgressView(io.err);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await pullModels({
      names: args.names.length > 0 ? args.names : undefined,
      modelsDir: args.modelsDir,
      host,
      force: args.force,
      catalogue,
      signal: controller.signal,
      onProgress: (event) => view.handle(event),
    });
    view.finish();
    for (const model of result.installed) io.out(`installed  ${model.name}  →  ${resolve(result.modelsDir, model.slot)}`);
    for (const model of result.skipped) io.out(`up to date ${model.name}  →  ${resolve(result.modelsDir, model.slot)}`);
    return 0;
  } finally {
    view.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

type ListedModel = {
  name: string;
  kind: string;
  repo: string;
  revision: string;
  approxBytes: number | undefined;
  description: string | undefined;
  default: boolean;
  inCatalogue: boolean;
  installed: InstalledModelState | null;
};

async function list(modelsDir: string, catalogue: ModelSpec[], json: boolean, io: ModelsCommandIo): Promise<number> {
  const installed = await listInstalledModels(modelsDir);
  const rows: ListedModel[] = catalogue.map((spec) => ({
    name: spec.name,
    kind: spec.kind,
    repo: spec.repo,
    revision: spec.revision,
    approxBytes: spec.approxBytes,
    description: spec.description,
    default: DEFAULT_MODEL_NAMES.includes(spec.name),
    inCatalogue: true,
    installed: installed.find((m) => m.name === spec.name) ?? null,
  }));
  for (const model of installed.filter((m) => !catalogue.some((spec) => spec.name === m.name))) {
    const size = model.files.reduce((sum, f) => sum + f.size, 0);
    rows.push({ ...model, approxBytes: size, description: undefined, default: false, inCatalogue: false, installed: model });
  }
  if (json) {
    io.out(JSON.stringify({ modelsDir, models: rows }, null, 2));
    return 0;
  }
  io.out(`Models folder: ${modelsDir}\n`);
  const width = Math.max(...rows.map((r) => r.name.length), 4);
  io.out(`    ${'NAME'.padEnd(width)}  ${'KIND'.padEnd(9)}  ${'SIZE'.padStart(8)}  INSTALLED`);
  for (const row of rows) {
    const mark = row.default ? '*' : ' ';
    const size = row.approxBytes === undefined ? '' : formatBytes(row.approxBytes);
    io.out(`  ${mark} ${row.name.padEnd(width)}  ${row.kind.padEnd(9)}  ${size.padStart(8)}  ${describeInstalled(row.installed)}`);
    if (row.description) io.out(`      ${row.description}`);
  }
  io.out(`\n  * default. Install with \`engram models pull [name ...]\`; one LLM and one embedding model are active at a time.`);
  return 0;
}

function describeInstalled(model: InstalledModelState | null): string {
  if (!model) return '-';
  const where = model.kind === 'embedding' ? `${model.slot}/` : model.slot;
  if (model.status === 'missing') return `${where}, files missing — run \`engram models pull ${model.name}\``;
  if (model.status === 'changed') return `${where}, files changed since install — run \`engram models pull ${model.name}\``;
  return `${where}, ${model.verified ? 'checksums verified' : 'size checked only (no checksum from the server)'} ${model.installedAt.slice(0, 10)}`;
}
