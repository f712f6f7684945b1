/**
 * Random Q4_0 weights generated directly as blocks, in chunks of rows.
 *
 * A 0.5B-parameter model would take minutes to fill with float normals and quantize
 * in JS; its speed benchmark does not care about the distribution, only about the
 * format. So each block gets the tensor's fixed fp16 scale and 16 bytes of random
 * nibbles: values (q − 8)·d with q uniform in 0…15, whose RMS is √21.5 · d ≈ 4.64·d.
 * That is one PRNG call per 8 weights: ~300 MB in about a second.
 */
import { float16Bits } from './float16.js';
import { blockLayout, GgmlType, rowByteLength } from './ggml-types.js';
import type { SeededRandom } from './seeded-random.js';

/** RMS of (q − 8) for q uniform in 0…15: √(mean of squares of −8…7) = √21.5. */
const NIBBLE_RMS = Math.sqrt(21.5);
const CHUNK_BYTES = 4 << 20;

/** Yields `rows` rows of `rowLength` random Q4_0 weights with RMS ≈ `rms`, ~4 MB at a time. */
export function* randomQ4_0Rows(random: SeededRandom, rows: number, rowLength: number, rms: number): Generator<Uint8Array> {
  const rowBytes = rowByteLength(GgmlType.Q4_0, rowLength);
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
  const scale = float16Bits(rms / NIBBLE_RMS);
  for (let row = 0; row < rows; row += rowsPerChunk) {
    const chunkRows = Math.min(rowsPerChunk, rows - row);
    yield randomBlocks(random, (chunkRows * rowBytes) / blockLayout(GgmlType.Q4_0).typeSize, scale);
  }
}

function randomBlocks(random: SeededRandom, blocks: number, scaleBits: number): Uint8Array {
  const { typeSize } = blockLayout(GgmlType.Q4_0);
  const out = new Uint8Array(blocks * typeSize);
  for (let at = 0; at < out.length; at += typeSize) {
    out[at] = scaleBits & 0xff; // little-endian fp16 scale
    out[at + 1] = scaleBits >>> 8;
    for (let q = at + 2; q < at + typeSize; q += 4) {
      const bits = random.nextUint32();
      out[q] = bits & 0xff;
      out[q + 1] = (bits >>> 8) & 0xff;
      out[q + 2] = (bits >>> 16) & 0xff;
      out[q + 3] = bits >>> 24;
    }
  }
  return out;
}
