/**
 * The test embedder: a transformers.js model folder holding a static GloVe/SIF
 * sentence embedder (100 dimensions). With `pooling: 'mean', normalize: true` it
 * yields a SIF-weighted average of word vectors — real meaning, deterministic, fast,
 * and loaded through exactly the code path of a hub model.
 *
 * Token ids: 0 [PAD] (zero row), 1 [UNK], 2 [CLS] (both a tiny fixed vector, see
 * below), then the vocabulary words from the most frequent down.
 */
import { quantizePerRow } from './int8-quantize.js';
import { buildSifTable, selectVocabulary, type SifOptions, type WordRow } from './glove-sif-table.js';
import { GLOVE_PACKAGE, readGloveVectors, type GloveVectors, type GlovePackage } from './glove-reader.js';
import { tokenizerConfigJson, wordLevelTokenizerJson, type SpecialTokens } from './hf-tokenizer-json.js';
import type { FolderContents, GeneratorId } from './model-folder.js';
import { encodeOnnxModel } from './onnx-writer.js';
import { SeededRandom } from './seeded-random.js';
import { buildStaticEmbeddingGraph } from './static-embedding-graph.js';

export const TEST_EMBEDDER_ID: GeneratorId = { generator: 'make-test-models/glove-sif-100d', version: 1 };
export const TEST_EMBEDDER_NAME = 'engram/test-glove-sif-100d';

const SIF: SifOptions = { vocabularySize: 80_000, a: 1e-3, powerIterations: 30 };

const SPECIAL = { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]' } as const satisfies SpecialTokens;
const SPECIAL_ROWS = 3;

/**
 * [UNK] and [CLS] get this norm (a fixed random direction): far below any real word
 * (content words ≈ 5, "the" ≈ 0.08 after SIF weighting), so it does not move real
 * sentences, yet a text with no known word ("!!!", "zxqv", "") still has a non-zero
 * mean and normalizes to a finite unit vector instead of NaN.
 */
const NEGLIGIBLE_NORM = 1e-3;
const SEED = 20240917;

/** Same length limit as BERT-family models, so truncation behaves like a real model's. */
const MODEL_MAX_LENGTH = 512;

export interface GloveStaticModel {
  readonly contents: FolderContents;
  readonly details: Record<string, unknown>;
}

export function buildGloveStaticModel(source: GlovePackage, log: (line: string) => void): GloveStaticModel {
  log(`reading ${GLOVE_PACKAGE}@${source.version} (GloVe 6B 100d)…`);
  const { rows, glove } = readVocabulary(source);
  const lastRank = rows.at(-1)?.rank ?? 0;
  log(`  ${glove.words.length} words in the package; kept ${rows.length} (frequency ranks 0–${lastRank}), dims ${glove.dimensions}`);

  log('weighting by SIF, removing the common component, quantizing…');
  const wordTable = buildSifTable(rows, glove.vectors, glove.dimensions, glove.words.length, SIF);
  const onnx = staticEmbeddingOnnx(withSpecialRows(wordTable, glove.dimensions), rows.length + SPECIAL_ROWS, glove.dimensions);

  const vocab = [SPECIAL.pad, SPECIAL.unk, SPECIAL.cls, ...rows.map((r) => r.word)];
  const details = {
    source: `${GLOVE_PACKAGE}@${source.version} (GloVe 6B 100d, public domain)`,
    vocabularyWords: rows.length,
    lastFrequencyRank: lastRank,
    sifA: SIF.a,
    commonComponent: `first principal component (${SIF.powerIterations} power iterations)`,
  };
  const contents = new Map<string, Uint8Array | string>([
    ['config.json', json(configJson(vocab.length, glove.dimensions, details))],
    ['tokenizer.json', json(wordLevelTokenizerJson(vocab, SPECIAL))],
    ['tokenizer_config.json', json(tokenizerConfigJson(SPECIAL, 'PreTrainedTokenizerFast', MODEL_MAX_LENGTH, true))],
    ['onnx/model.onnx', onnx],
    // The graph is already int8, so `dtype: 'q8'` gets the same file: callers that ask
    // for the quantized variant (Engram's 'auto' does when it exists) still load it.
    ['onnx/model_quantized.onnx', onnx],
  ]);
  return { contents, details };
}

function readVocabulary(source: GlovePackage): { rows: WordRow[]; glove: GloveVectors } {
  let rows: WordRow[] = [];
  const glove = readGloveVectors(source.file, (words) => {
    rows = selectVocabulary(words, SIF.vocabularySize);
    return new Set(rows.map((r) => r.word));
  });
  return { rows, glove };
}

function staticEmbeddingOnnx(table: Float32Array, rows: number, dims: number): Buffer {
  const quantized = quantizePerRow(table, rows, dims);
  return encodeOnnxModel({
    graph: buildStaticEmbeddingGraph('glove_sif_static_embedding', { rows, dims, quantized }),
    opsetVersion: 17,
    producerName: 'engram/scripts/make-test-models',
    producerVersion: String(TEST_EMBEDDER_ID.version),
    docString: `Static GloVe 100d sentence embedder with SIF weights (a=${SIF.a}); int8 table, per-row scale.`,
  });
}

/** Prepends [PAD] (zeros), [UNK] and [CLS] (the negligible vector) to the word rows. */
function withSpecialRows(wordTable: Float32Array, dims: number): Float32Array {
  const table = new Float32Array(wordTable.length + SPECIAL_ROWS * dims);
  const negligible = negligibleVector(dims);
  table.set(negligible, 1 * dims);
  table.set(negligible, 2 * dims);
  table.set(wordTable, SPECIAL_ROWS * dims);
  return table;
}

function negligibleVector(dims: number): Float32Array {
  const random = new SeededRandom(SEED);
  const v = Array.from({ length: dims }, () => random.normal());
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return Float32Array.from(v, (x) => (x / norm) * NEGLIGIBLE_NORM);
}

function configJson(vocabSize: number, hidden: number, details: Record<string, unknown>): Record<string, unknown> {
  return {
    _name_or_path: TEST_EMBEDDER_NAME,
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: hidden,
    vocab_size: vocabSize,
    max_position_embeddings: MODEL_MAX_LENGTH,
    // Not a transformer: no layers or heads. The fields exist so BERT-reading code finds them.
    num_hidden_layers: 0,
    num_attention_heads: 1,
    intermediate_size: hidden,
    type_vocab_size: 1,
    pad_token_id: 0,
    torch_dtype: 'float32',
    engram: { kind: 'static-glove-sif', generator: `${TEST_EMBEDDER_ID.generator} v${TEST_EMBEDDER_ID.version}`, ...details },
  };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
