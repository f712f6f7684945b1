import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import { EngramError } from '../errors.js';
import { chooseOnnxDtype, loadFromLocalFolder, missingModelFiles, sessionOptions } from '../embed/transformers-runtime.js';
import type { Reranker } from './reranker.js';

export type TransformersRerankerOptions = {
  /**
   * A local transformers.js cross-encoder folder: config.json (a `…ForSequenceClassification`
   * architecture), tokenizer.json, onnx/model.onnx and/or onnx/model_quantized.onnx.
   */
  model: string;
  /**
   * Which weights to load. 'auto' prefers `onnx/model_quantized.onnx` (int8, faster on a CPU) when present.
   * @default 'auto'
   */
  dtype?: 'auto' | 'fp32' | 'q8' | undefined;
  /** (query, document) pairs per forward pass. @default 32 */
  batchSize?: number | undefined;
  /** ONNX Runtime intra-op threads. @default ONNX Runtime's choice */
  threads?: number | undefined;
  /**
   * Tokens per (query, document) pair, special tokens included; longer pairs are cut at the end.
   * @default 512, or the model's `max_position_embeddings` when smaller
   */
  maxLength?: number | undefined;
};

/** What `maxLength` defaults to: the input size of BERT-family cross-encoders. */
const DEFAULT_MAX_LENGTH = 512;

interface LoadedModel {
  readonly tokenizer: PreTrainedTokenizer;
  readonly model: PreTrainedModel;
}

/**
 * A Reranker running a cross-encoder ONNX model (e.g. cross-encoder/ms-marco-MiniLM-L6-v2,
 * BAAI/bge-reranker-base) in-process with transformers.js. Each (query, document) pair is
 * encoded together (`[CLS] query [SEP] document [SEP]`) and the first logit is its score.
 * Reads the model's config at creation (cheap); loads the weights on the first `score`.
 */
export class TransformersReranker implements Reranker {
  readonly id: string;
  private readonly folder: string;
  private readonly dtype: 'fp32' | 'q8';
  private readonly batchSize: number;
  private readonly threads: number | undefined;
  private readonly maxLength: number;
  private loaded: Promise<LoadedModel> | undefined;

  constructor(options: TransformersRerankerOptions) {
    this.folder = resolve(options.model);
    const config = readRerankerConfig(this.folder);
    this.id = config.id;
    this.dtype = chooseOnnxDtype(this.folder, options.dtype ?? 'auto', 'reranker model');
    this.batchSize = positiveInteger(options.batchSize, 32, 'batchSize');
    this.threads = options.threads;
    this.maxLength = positiveInteger(options.maxLength, Math.min(DEFAULT_MAX_LENGTH, config.maxPositions ?? DEFAULT_MAX_LENGTH), 'maxLength');
  }

  async score(query: string, documents: string[]): Promise<number[]> {
    if (documents.length === 0) return [];
    const { tokenizer, model } = await this.load();
    const scores: number[] = [];
    for (let start = 0; start < documents.length; start += this.batchSize) {
      const batch = documents.slice(start, start + this.batchSize);
      const inputs = tokenizer(
        batch.map(() => query),
        { text_pair: batch, padding: true, truncation: true, max_length: this.maxLength },
      );
      const output: unknown = await model(inputs);
      scores.push(...this.firstLogits(output, batch.length));
    }
    return scores;
  }

  async dispose(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    if (!loaded) return;
    const { model } = await loaded.catch(() => ({ model: undefined }));
    await model?.dispose();
  }

  private load(): Promise<LoadedModel> {
    this.loaded ??= this.loadModel().catch((error: unknown) => {
      this.loaded = undefined; // let a later call retry, e.g. after the files were fixed
      throw error;
    });
    return this.loaded;
  }

  private async loadModel(): Promise<LoadedModel> {
    const load = loadFromLocalFolder(this.folder, async (transformers, modelId) => {
      const tokenizer = await transformers.AutoTokenizer.from_pretrained(modelId, { local_files_only: true });
      const model = await transformers.AutoModelForSequenceClassification.from_pretrained(modelId, {
        dtype: this.dtype,
        local_files_only: true,
        session_options: sessionOptions(this.threads),
      });
      return { tokenizer, model };
    });
    try {
      return await load;
    } catch (error) {
      throw new EngramError('MODEL_LOAD_FAILED', `could not load the reranker model at ${this.folder}: ${String(error)}`, { cause: error });
    }
  }

  /** logits[:, 0] of a `[batch, labels]` output, checked: anything else means the folder holds no cross-encoder. */
  private firstLogits(output: unknown, batch: number): number[] {
    const logits = (output as { logits?: { data?: unknown; dims?: unknown } } | null)?.logits;
    const dims = logits?.dims;
    const data = logits?.data;
    const labels = Array.isArray(dims) && dims.length === 2 && dims[0] === batch ? dims[1] : undefined;
    if (typeof labels !== 'number' || labels < 1 || !(data instanceof Float32Array || data instanceof Float64Array) || data.length !== batch * labels) {
      throw new EngramError(
        'MODEL_LOAD_FAILED',
        `the reranker model at ${this.folder} is not a cross-encoder: expected logits of shape [${batch}, labels], got ${Array.isArray(dims) ? `[${dims.join(', ')}]` : 'none'}`,
      );
    }
    return Array.from({ length: batch }, (_, i) => data[i * labels] ?? Number.NaN);
  }
}

function readRerankerConfig(folder: string): { id: string; maxPositions: number | undefined } {
  const missing = missingModelFiles(folder);
  if (missing.length > 0) {
    throw new EngramError(
      'MODEL_NOT_FOUND',
      `no reranker model at ${folder} (missing ${missing.join(', ')}); ` +
        'point `reranker.model` at a local transformers.js cross-encoder folder, e.g. one of Xenova/ms-marco-MiniLM-L-6-v2 ' +
        '(tests: run `npm run models:test` to generate models/test/reranker)',
    );
  }
  const configPath = join(folder, 'config.json');
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new EngramError('MODEL_LOAD_FAILED', `${configPath} is not valid JSON`, { cause: error });
  }
  const architectures = Array.isArray(config.architectures) ? config.architectures.filter((a): a is string => typeof a === 'string') : [];
  if (architectures.length > 0 && !architectures.some((a) => a.endsWith('ForSequenceClassification'))) {
    throw new EngramError(
      'MODEL_LOAD_FAILED',
      `the model at ${folder} is not a cross-encoder (architectures: ${architectures.join(', ')}); ` +
        'a reranker needs a …ForSequenceClassification model such as cross-encoder/ms-marco-MiniLM-L6-v2',
    );
  }
  const name = typeof config._name_or_path === 'string' && config._name_or_path.length > 0 ? config._name_or_path : basename(folder);
  const maxPositions = typeof config.max_position_embeddings === 'number' && config.max_position_embeddings > 2 ? config.max_position_embeddings : undefined;
  return { id: name, maxPositions };
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new EngramError('INVALID_INPUT', `reranker option ${name} must be a positive integer, got ${value}`);
  return value;
}
