import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EmbedderSettingsSchema } from '../embed/transformers-embedder.js';
import { EngramError } from '../errors.js';
import { validate } from '../validate.js';

/**
 * The model catalogue: what `engram models pull` can fetch, from where, and how
 * each download is checked.
 *
 * What is pinned, and what is not:
 * - `revision` is a full commit id for every built-in model, so the files cannot
 *   change under us on the hub (a branch like `main` could move). The ids were
 *   taken from public repositories that pin the same models, several agreeing on
 *   each one; they were not looked up on the hub itself (no access from here).
 * - `sha256` and `size` are pinned for the large weight files (the GGUF and ONNX
 *   files, stored in Git LFS on the hub), from the same public sources. A download
 *   must match them, and so must the hub's own `X-Linked-Etag` / `X-Linked-Size`
 *   answer, which protects users of a mirror (`ENGRAM_MODEL_HOST`) too.
 * - The small JSON files (config, tokenizer) are not pinned by hash: they are
 *   plain git files, fixed by the commit id; the download is checked against the
 *   size the server announces, against the git blob id the hub sends as `ETag`
 *   when it does, and must parse as JSON. Their sha256 is computed on download
 *   and kept in `models/installed.json`, so later loads are checked offline.
 */

/** A path inside a repository or the models folder: relative, forward slashes, no `..`. */
const RelativePathSchema = z
  .string()
  .min(1)
  .max(300)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && p.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), {
    error: 'must be a relative path with forward slashes and no "." or ".." parts',
  });

export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits (sha256)' });

export const ModelFileSchema = z.strictObject({
  /** Path of the file in the repository, e.g. `onnx/model_quantized.onnx`. */
  path: RelativePathSchema,
  /** Exact size in bytes, when pinned. */
  size: z.number().int().positive().optional(),
  /** sha256 of the file, when pinned (LFS files). */
  sha256: Sha256Schema.optional(),
});
export type ModelFile = z.infer<typeof ModelFileSchema>;

export const ModelKindSchema = z.enum(['llm', 'embedding']);
export type ModelKind = z.infer<typeof ModelKindSchema>;

export const ModelSpecSchema = z
  .strictObject({
    /** Short name used on the command line, e.g. `qwen2.5-1.5b-instruct`. */
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, { error: 'must be lowercase letters, digits, ".", "_" or "-"' }),
    kind: ModelKindSchema,
    /** Hugging Face repository, `owner/name`. */
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, { error: 'must be "owner/name"' }),
    /** A commit id (pinned) or a branch name such as `main` (not pinned). */
    revision: z.string().regex(/^[\w.-]{1,100}$/, { error: 'must be a commit id or a branch name' }),
    files: z.array(ModelFileSchema).min(1),
    /**
     * Where it is installed, relative to the models folder. An LLM is one file
     * (`llm.gguf`); an embedding model is a folder holding its files at their
     * repository paths (`embedding/`).
     */
    slot: RelativePathSchema.refine((p) => !p.startsWith('.') && p !== 'installed.json', { error: 'is reserved' }),
    /** Approximate download size, for display only. */
    approxBytes: z.number().int().positive(),
    description: z.string().min(1).max(300),
    license: z.string().max(100).optional(),
    /**
     * How an embedding model turns token vectors into one sentence vector, as
     * it was trained: BGE uses the [CLS] token, MiniLM and E5 the mean. Written
     * to `engram.json` in the model folder, where the embedder reads it.
     */
    pooling: EmbedderSettingsSchema.shape.pooling,
    /**
     * What an embedding model was trained to see before a search query (BGE's
     * retrieval instruction, E5's `query: `). Written to `engram.json`; part of
     * the embedder's id, so changing it means `engram reindex`.
     */
    queryPrefix: EmbedderSettingsSchema.shape.queryPrefix,
    /** What it was trained to see before a stored text (E5's `passage: `). Written to `engram.json` likewise. */
    documentPrefix: EmbedderSettingsSchema.shape.documentPrefix,
  })
  .superRefine((spec, ctx) => {
    if (spec.kind === 'llm' && spec.files.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'an LLM is exactly one GGUF file' });
    }
    const paths = spec.files.map((f) => f.path);
    if (new Set(paths).size !== paths.length) ctx.addIssue({ code: 'custom', path: ['files'], message: 'lists a file twice' });
  });
export type ModelSpec = z.infer<typeof ModelSpecSchema>;

const CatalogueSchema = z.array(ModelSpecSchema).superRefine((specs, ctx) => {
  const names = specs.map((s) => s.name);
  for (const [i, name] of names.entries()) {
    if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${name}" appears twice` });
  }
});

const BUILT_IN: ModelSpec[] = [
  {
    name: 'qwen2.5-1.5b-instruct',
    kind: 'llm',
    repo: 'Qwen/Qwen2.5-1.5B-Instruct-GGUF',
    revision: '91cad51170dc346986eccefdc2dd33a9da36ead9',
    files: [
      {
        path: 'qwen2.5-1.5b-instruct-q4_k_m.gguf',
        size: 1_117_320_736,
        sha256: '6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e',
      },
    ],
    slot: 'llm.gguf',
    approxBytes: 1_117_320_736,
    description: 'Default LLM: Qwen2.5 1.5B Instruct, Q4_K_M; the balance of quality and speed on a CPU.',
    license: 'Apache-2.0',
  },
  {
    name: 'qwen2.5-0.5b-instruct',
    kind: 'llm',
    repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF',
    revision: '9217f5db79a29953eb74d5343926648285ec7e67',
    files: [
      {
        path: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
        size: 491_400_032,
        sha256: '74a4da8c9fdbcd15bd1f6d01d621410d31c6fc00986f5eb687824e7b93d7a9db',
      },
    ],
    slot: 'llm.gguf',
    approxBytes: 491_400_032,
    description: 'Qwen2.5 0.5B Instruct, Q4_K_M: about three times faster, noticeably weaker. For small machines.',
    license: 'Apache-2.0',
  },
  {
    name: 'qwen2.5-3b-instruct',
    kind: 'llm',
    repo: 'Qwen/Qwen2.5-3B-Instruct-GGUF',
    revision: '7dabda4d13d513e3e842b20f0d435c732f172cbe',
    files: [
      {
        path: 'qwen2.5-3b-instruct-q4_k_m.gguf',
        size: 2_104_932_768,
        sha256: '626b4a6678b86442240e33df819e00132d3ba7dddfe1cdc4fbb18e0a9615c62d',
      },
    ],
    slot: 'llm.gguf',
    approxBytes: 2_104_932_768,
    description: 'Qwen2.5 3B Instruct, Q4_K_M: better judgement, roughly half as fast as 1.5B. Non-commercial licence.',
    license: 'Qwen Research License',
  },
  {
    name: 'bge-small-en-v1.5',
    kind: 'embedding',
    repo: 'Xenova/bge-small-en-v1.5',
    revision: 'ea104dacec62c0de699686887e3f920caeb4f3e3',
    files: [
      { path: 'config.json' },
      { path: 'tokenizer.json' },
      { path: 'tokenizer_config.json' },
      {
        path: 'onnx/model_quantized.onnx',
        size: 34_014_426,
        sha256: '6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4',
      },
    ],
    slot: 'embedding',
    approxBytes: 34_730_000,
    description: 'Default embedder: BGE small English v1.5, int8, 384 dimensions.',
    pooling: 'cls',
    // BAAI's query instruction for retrieval with the English v1.5 models (FlagEmbedding's model list); passages get none.
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    license: 'MIT',
  },
  {
    name: 'all-minilm-l6-v2',
    kind: 'embedding',
    repo: 'Xenova/all-MiniLM-L6-v2',
    revision: '751bff37182d3f1213fa05d7196b954e230abad9',
    files: [
      { path: 'config.json' },
      { path: 'tokenizer.json' },
      { path: 'tokenizer_config.json' },
      {
        path: 'onnx/model_quantized.onnx',
        size: 22_972_370,
        sha256: 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
      },
    ],
    slot: 'embedding',
    approxBytes: 23_700_000,
    description: 'all-MiniLM-L6-v2, int8, 384 dimensions: smaller and faster than BGE, English.',
    license: 'Apache-2.0',
  },
  {
    name: 'multilingual-e5-small',
    kind: 'embedding',
    repo: 'Xenova/multilingual-e5-small',
    revision: '761b726dd34fb83930e26aab4e9ac3899aa1fa78',
    files: [
      { path: 'config.json' },
      { path: 'tokenizer.json' },
      { path: 'tokenizer_config.json' },
      {
        path: 'onnx/model_quantized.onnx',
        size: 118_308_185,
        sha256: 'f80102d3f2a1229f387d3c81909990d8945513e347b0eab049f7de3c6f98c193',
      },
    ],
    slot: 'embedding',
    approxBytes: 135_400_000,
    description: 'multilingual-e5-small, int8, 384 dimensions: about 100 languages, for non-English users.',
    // The model card: every input starts with "query: " or "passage: ", even in other languages.
    queryPrefix: 'query: ',
    documentPrefix: 'passage: ',
    license: 'MIT',
  },
];

/** The built-in catalogue, validated at load so a typo fails every test at once. */
export const MODEL_CATALOGUE: readonly ModelSpec[] = Object.freeze(validate(CatalogueSchema, BUILT_IN, 'catalogue'));

/** What `engram models pull` fetches when no name is given: one LLM and one embedder. */
export const DEFAULT_MODEL_NAMES: readonly string[] = Object.freeze(['qwen2.5-1.5b-instruct', 'bge-small-en-v1.5']);

/**
 * Reads extra catalogue entries from a JSON file (an array of model specs):
 * your own models, or a mirror's copies with their own checksums. An entry with
 * the name of a built-in model replaces it.
 */
export function readCatalogueFile(file: string): ModelSpec[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EngramError('INVALID_INPUT', `cannot read the model catalogue ${file}: ${(error as Error).message}`, { cause: error });
  }
  return validate(CatalogueSchema, data, file);
}

/** The built-in catalogue with `extra` entries added (same name: `extra` wins). */
export function mergeCatalogues(base: readonly ModelSpec[], extra: readonly ModelSpec[]): ModelSpec[] {
  const names = new Set(extra.map((s) => s.name));
  return [...base.filter((s) => !names.has(s.name)), ...extra];
}

/** Finds models by name, or throws INVALID_INPUT naming the ones that exist. */
export function findModels(names: readonly string[], catalogue: readonly ModelSpec[] = MODEL_CATALOGUE): ModelSpec[] {
  return names.map((name) => {
    const spec = catalogue.find((s) => s.name === name);
    if (!spec) {
      throw new EngramError('INVALID_INPUT', `unknown model "${name}"; choose one of: ${catalogue.map((s) => s.name).join(', ')}`);
    }
    return spec;
  });
}

/** True when the revision is a full commit id, i.e. the files cannot change. */
export function isPinnedRevision(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}
