import { z } from 'zod';
import { EngramError } from '../errors.js';
import { describeFailure, EndpointOptionsSchema, endpointUrl, postJson } from '../openai-endpoint.js';
import { validate } from '../validate.js';
import type { EmbedPurpose, Embedder } from './embedder.js';

export const OpenAiCompatibleEmbedderOptionsSchema = EndpointOptionsSchema.extend({
  /**
   * How long one request (one batch) may take, connecting included.
   * @default 60000
   */
  timeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
  /**
   * Texts per request.
   * @default 64
   */
  batchSize: z.number().int().min(1).max(2048).default(64),
  /**
   * The vector length you expect. The server's answer to a probe decides it
   * anyway; give it to fail at `connect` when the server serves another model.
   */
  dimension: z.number().int().min(1).max(8192).optional(),
  /** Put before every search query, as the model was trained (e.g. `search_query: ` for nomic-embed-text); part of `id`. */
  queryPrefix: z.string().max(500).default(''),
  /** Put before every stored text, as the model was trained (e.g. `search_document: `); part of `id`. */
  documentPrefix: z.string().max(500).default(''),
});
/** The options of `OpenAiCompatibleEmbedder.connect(...)`. */
export type OpenAiCompatibleEmbedderOptions = z.input<typeof OpenAiCompatibleEmbedderOptionsSchema>;
type Options = z.output<typeof OpenAiCompatibleEmbedderOptionsSchema>;

/** The part of an embeddings answer Engram reads. */
const EmbeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

/**
 * An Embedder served by an OpenAI-compatible server on this machine (Ollama,
 * LM Studio, llama-server `--embeddings`), over `POST {baseUrl}/embeddings`.
 * Vectors are checked (count, length, finite) and scaled to unit length.
 *
 * Created with the async `connect`, which embeds one probe text: a store is
 * bound to its embedder's dimension when it is opened, so the dimension must
 * be known before the first real text, and only the server knows it for sure
 * (a hand-typed wrong one would bind a new store to the wrong size). It also
 * makes a server that is not running fail at startup, not at the first add.
 *
 * @example
 * const embedder = await OpenAiCompatibleEmbedder.connect({
 *   baseUrl: 'http://127.0.0.1:11434/v1',
 *   model: 'nomic-embed-text',
 *   queryPrefix: 'search_query: ',
 *   documentPrefix: 'search_document: ',
 * });
 * const memory = await Memory.open({ path: 'memory.db', embedder });
 */
export class OpenAiCompatibleEmbedder implements Embedder {
  readonly id: string;
  private readonly prefixes: Record<EmbedPurpose, string>;

  private constructor(
    private readonly options: Options,
    private readonly url: URL,
    readonly dimension: number,
  ) {
    this.prefixes = { query: options.queryPrefix, document: options.documentPrefix };
    // Not the host: the same model moved to another port gives the same vectors, and must not need a reindex.
    this.id = embedderId(`openai-compatible:${options.model}`, this.prefixes);
  }

  /**
   * Checks the options (INVALID_INPUT for a bad or remote URL), then asks the
   * server for one vector to learn the dimension (EMBEDDING_FAILED when it
   * cannot be reached or answers with something else).
   */
  static async connect(options: OpenAiCompatibleEmbedderOptions): Promise<OpenAiCompatibleEmbedder> {
    const parsed = validate(OpenAiCompatibleEmbedderOptionsSchema, options, 'embedder');
    const url = endpointUrl(parsed.baseUrl, 'embeddings', parsed.allowRemote, 'the embedding');
    const [probe] = await request(parsed, url, ['dimension probe']);
    const dimension = probe?.length ?? 0;
    if (dimension < 1 || dimension > 8192) {
      throw new EngramError('EMBEDDING_FAILED', `the embedding server at ${url.href} returned a vector of length ${dimension} for model "${parsed.model}"; expected 1 to 8192 numbers`);
    }
    if (parsed.dimension !== undefined && parsed.dimension !== dimension) {
      throw new EngramError('EMBEDDING_FAILED', `the embedding server at ${url.href} returns vectors of ${dimension} numbers for model "${parsed.model}", not the ${parsed.dimension} given as dimension`);
    }
    return new OpenAiCompatibleEmbedder(parsed, url, dimension);
  }

  async embed(texts: string[], purpose: EmbedPurpose = 'document'): Promise<Float32Array[]> {
    const prefix = this.prefixes[purpose];
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.options.batchSize) {
      const batch = texts.slice(start, start + this.options.batchSize).map((text) => prefix + text);
      for (const vector of await request(this.options, this.url, batch)) {
        if (vector.length !== this.dimension) {
          throw new EngramError('EMBEDDING_FAILED', `the embedding server at ${this.url.href} returned a vector of length ${vector.length}; expected ${this.dimension} (did model "${this.options.model}" change?)`);
        }
        vectors.push(vector);
      }
    }
    return vectors;
  }
}

/** One request: a unit vector per input, in input order. */
async function request(options: Options, url: URL, input: string[]): Promise<Float32Array[]> {
  const response = await postJson(url, { model: options.model, input }, { apiKey: options.apiKey, timeoutMs: options.timeoutMs, code: 'EMBEDDING_FAILED', what: 'the embedding server' });
  if (response.status < 200 || response.status >= 300) {
    throw new EngramError('EMBEDDING_FAILED', `the embedding server at ${url.href} refused the request (${describeFailure(response)}); check that model "${options.model}" is available there and is an embedding model`, {
      details: { status: response.status },
    });
  }
  const parsed = EmbeddingsSchema.safeParse(response.json);
  if (!parsed.success) {
    throw new EngramError('EMBEDDING_FAILED', `the embedding server at ${url.href} answered without data[].embedding: ${response.text.slice(0, 200)}`, { cause: parsed.error });
  }
  // Servers may answer out of order; `index` says which input each vector is for.
  const byIndex = new Map(parsed.data.data.map((item) => [item.index, item.embedding]));
  if (byIndex.size !== input.length || parsed.data.data.length !== input.length) {
    throw new EngramError('EMBEDDING_FAILED', `the embedding server at ${url.href} returned ${parsed.data.data.length} vectors for ${input.length} texts`);
  }
  return input.map((_text, i) => {
    const embedding = byIndex.get(i);
    if (embedding === undefined) throw new EngramError('EMBEDDING_FAILED', `the embedding server at ${url.href} returned no vector for text ${i}`);
    return unit(embedding, url, i);
  });
}

/** Scaled to unit length (cosine distance is used); NaN, infinities and all-zero vectors are refused, not stored. */
function unit(embedding: number[], url: URL, index: number): Float32Array {
  const vector = Float32Array.from(embedding);
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (!Number.isFinite(norm) || norm === 0) {
    throw new EngramError('EMBEDDING_FAILED', `the embedding server at ${url.href} returned a ${Number.isFinite(norm) ? 'zero' : 'non-finite'} vector for text ${index}`);
  }
  const scale = 1 / Math.sqrt(norm);
  return vector.map((value) => value * scale);
}

/** The model, and the prefixes when set: changing any of them makes a bound store refuse this embedder (EMBEDDING_MISMATCH). */
function embedderId(name: string, prefixes: Record<EmbedPurpose, string>): string {
  const parts = [
    ...(prefixes.query ? [`query: ${JSON.stringify(prefixes.query)}`] : []),
    ...(prefixes.document ? [`document: ${JSON.stringify(prefixes.document)}`] : []),
  ];
  return parts.length === 0 ? name : `${name} (${parts.join(', ')})`;
}
