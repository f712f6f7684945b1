import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { EngramError } from '../errors.js';
import type { EmbedPurpose, Embedder } from './embedder.js';
import { chooseOnnxDtype, loadFromLocalFolder, missingModelFiles, sessionOptions } from './transformers-runtime.js';

export type TransformersEmbedderOptions = {
  /** A local transformers.js model folder: config.json, tokenizer.json, onnx/model*.onnx. */
  model: string;
  /**
   * Which weights to load. 'auto' prefers `onnx/model_quantized.onnx` (int8, faster on a CPU) when present.
   * @default 'auto'
   */
  dtype?: 'auto' | 'fp32' | 'q8' | undefined;
  /** Texts per forward pass. @default 32 */
  batchSize?: number | undefined;
  /** ONNX Runtime intra-op threads. @default ONNX Runtime's choice */
  threads?: number | undefined;
  /**
   * How token vectors become one sentence vector, as the model was trained.
   * @default the folder's engram.json `pooling` (written by `engram models pull`), else 'mean'
   */
  pooling?: 'mean' | 'cls' | undefined;
  /**
   * Put before every search query, as the model was trained (BGE's retrieval
   * instruction, E5's `query: `); `''` for none. Part of the embedder's `id`.
   * @default the folder's engram.json `queryPrefix`, else none
   */
  queryPrefix?: string | undefined;
  /**
   * Put before every stored text, as the model was trained (E5's `passage: `);
   * `''` for none. Part of the embedder's `id`.
   * @default the folder's engram.json `documentPrefix`, else none
   */
  documentPrefix?: string | undefined;
};

/** Optional settings file in a model folder: how to use the model (e.g. `{ "pooling": "cls" }` for BGE). */
export const EMBEDDER_SETTINGS_FILE = 'engram.json';

/**
 * What engram.json holds (written by `engram models pull` from the catalogue).
 * Strict: a misspelt key would otherwise silently embed without a prefix.
 */
export const EmbedderSettingsSchema = z.strictObject({
  /** How token vectors become one sentence vector: `cls` for BGE, `mean` for MiniLM and E5. */
  pooling: z.enum(['mean', 'cls']).optional(),
  /** Text put before every search query, e.g. BGE's `Represent this sentence for searching relevant passages: `. */
  queryPrefix: z.string().max(500).optional(),
  /** Text put before every stored text, e.g. E5's `passage: `. */
  documentPrefix: z.string().max(500).optional(),
});
export type EmbedderSettings = z.infer<typeof EmbedderSettingsSchema>;

type FeatureExtractor = (
  texts: string[],
  options: { pooling: 'mean' | 'cls'; normalize: boolean },
) => Promise<{ data: Float32Array | number[]; dims: number[] }>;
/**
 * An Embedder running a sentence-embedding ONNX model in-process with
 * transformers.js: unit-length vectors, pooled and prefixed (queries and stored
 * texts apart) as the folder's engram.json says. Reads the model's config and
 * settings at creation (cheap); loads the weights on the first `embed`.
 */
export class TransformersEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  private readonly folder: string;
  private readonly dtype: 'fp32' | 'q8';
  private readonly batchSize: number;
  private readonly threads: number | undefined;
  private readonly pooling: 'mean' | 'cls';
  private readonly prefixes: Record<EmbedPurpose, string>;
  private extractor: Promise<FeatureExtractor> | undefined;
  private disposeModel: (() => Promise<void>) | undefined;

  constructor(options: TransformersEmbedderOptions) {
    this.folder = resolve(options.model);
    const config = readModelConfig(this.folder);
    const settings = readSettings(this.folder);
    this.prefixes = {
      query: options.queryPrefix ?? settings.queryPrefix ?? '',
      document: options.documentPrefix ?? settings.documentPrefix ?? '',
    };
    this.id = embedderId(config.id, this.prefixes);
    this.dimension = config.dimension;
    this.dtype = chooseOnnxDtype(this.folder, options.dtype ?? 'auto', 'embedding model');
    this.batchSize = options.batchSize ?? 32;
    this.threads = options.threads;
    this.pooling = options.pooling ?? settings.pooling ?? 'mean';
  }

  async embed(texts: string[], purpose: EmbedPurpose = 'document'): Promise<Float32Array[]> {
    const extract = await this.load();
    const prefix = purpose === 'query' ? this.prefixes.query : this.prefixes.document;
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize).map((text) => prefix + text);
      const output = await extract(batch, { pooling: this.pooling, normalize: true });
      const data = Float32Array.from(output.data);
      for (let i = 0; i < batch.length; i++) {
        vectors.push(finiteUnit(data.slice(i * this.dimension, (i + 1) * this.dimension)));
      }
    }
    return vectors;
  }

  async dispose(): Promise<void> {
    const dispose = this.disposeModel;
    this.extractor = undefined;
    this.disposeModel = undefined;
    await dispose?.();
  }

  private load(): Promise<FeatureExtractor> {
    this.extractor ??= this.createExtractor().catch((error: unknown) => {
      this.extractor = undefined; // let a later call retry, e.g. after the files were fixed
      throw error;
    });
    return this.extractor;
  }

  private async createExtractor(): Promise<FeatureExtractor> {
    const load = loadFromLocalFolder(this.folder, (transformers, modelId) =>
      transformers.pipeline('feature-extraction', modelId, {
        dtype: this.dtype,
        local_files_only: true,
        session_options: sessionOptions(this.threads),
      }),
    );
    try {
      const pipe = await load;
      this.disposeModel = () => pipe.dispose();
      return pipe as unknown as FeatureExtractor;
    } catch (error) {
      throw new EngramError('MODEL_LOAD_FAILED', `could not load the embedding model at ${this.folder}: ${String(error)}`, { cause: error });
    }
  }
}

function readModelConfig(folder: string): { id: string; dimension: number } {
  const configPath = join(folder, 'config.json');
  const missing = missingModelFiles(folder);
  if (missing.length > 0) {
    throw new EngramError(
      'MODEL_NOT_FOUND',
      `no embedding model at ${folder} (missing ${missing.join(', ')}); point \`embedder.model\` at a transformers.js model folder`,
      { hint: 'embedding-model', details: { folder } },
    );
  }
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new EngramError('MODEL_LOAD_FAILED', `${configPath} is not valid JSON`, { cause: error });
  }
  const dimension = config.hidden_size ?? config.d_model ?? config.dim;
  if (typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension <= 0) {
    throw new EngramError('MODEL_LOAD_FAILED', `${configPath} does not give the embedding size (hidden_size)`);
  }
  const name = typeof config._name_or_path === 'string' && config._name_or_path.length > 0 ? config._name_or_path : basename(folder);
  return { id: name, dimension };
}

function readSettings(folder: string): EmbedderSettings {
  const path = join(folder, EMBEDDER_SETTINGS_FILE);
  if (!existsSync(path)) return {};
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EngramError('MODEL_LOAD_FAILED', `${path} is not valid JSON`, { cause: error });
  }
  const parsed = EmbedderSettingsSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'the file'}: ${issue.message}`).join('; ');
    throw new EngramError(
      'MODEL_LOAD_FAILED',
      `${path} is not valid model settings (${problems}); expected { "pooling"?, "queryPrefix"?, "documentPrefix"? } as \`engram models pull\` writes it`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/**
 * The model's name as today when no prefix is set (files bound to it keep
 * opening); with prefixes, the prefixes too, so a file embedded without them
 * refuses this embedder until `engram reindex` (EMBEDDING_MISMATCH).
 */
function embedderId(name: string, prefixes: Record<EmbedPurpose, string>): string {
  const parts = [
    ...(prefixes.query ? [`query: ${JSON.stringify(prefixes.query)}`] : []),
    ...(prefixes.document ? [`document: ${JSON.stringify(prefixes.document)}`] : []),
  ];
  return parts.length === 0 ? name : `${name} (${parts.join(', ')})`;
}

/** Replaces NaN by 0 and keeps unit length; an all-zero vector (no known word) stays zero. */
function finiteUnit(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i] ?? 0;
    if (!Number.isFinite(value)) vector[i] = 0;
    else norm += value * value;
  }
  if (norm > 0 && Math.abs(norm - 1) > 1e-3) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] ?? 0) * scale;
  }
  return vector;
}
