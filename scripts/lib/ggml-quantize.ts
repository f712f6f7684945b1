/**
 * Encodes float32 values into ggml tensor bytes: F32, F16, and the Q8_0 / Q4_0
 * block quantizations, following ggml's reference quantizers
 * (quantize_row_q8_0_ref / quantize_row_q4_0_ref) so llama.cpp reads back what a
 * real quantized model would contain.
 *
 * Values are laid out ggml-style: row after row, ne0 values per row, and blocks never
 * straddle rows because every row length is a multiple of the block size.
 */
import { float16Bits } from './float16.js';
import { blockLayout, GgmlType, rowByteLength } from './ggml-types.js';

const QK = 32;

/** Encodes `values` (rows of `rowLength`) as `type`. */
export function encodeTensorData(type: GgmlType, values: Float32Array, rowLength: number): Uint8Array {
  if (values.length % rowLength !== 0) throw new Error(`${values.length} values do not fill rows of ${rowLength}`);
  rowByteLength(type, rowLength); // validates the row length for the block size
  switch (type) {
    case GgmlType.F32:
      return encodeF32(values);
    case GgmlType.F16:
      return encodeF16(values);
    case GgmlType.Q8_0:
      return quantizeQ8_0(values);
    case GgmlType.Q4_0:
      return quantizeQ4_0(values);
  }
}

export function encodeF32(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return out;
}

export function encodeF16(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, float16Bits(values[i] ?? 0), true);
  return out;
}

/** Q8_0: per block of 32, d = max|x| / 127 and q = round(x / d) in [-127, 127]. */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  const { typeSize } = blockLayout(GgmlType.Q8_0);
  const blocks = values.length / QK;
  const out = new Uint8Array(blocks * typeSize);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const start = b * QK;
    const d = Math.fround(maxAbs(values, start) / 127);
    const id = d === 0 ? 0 : Math.fround(1 / d);
    const at = b * typeSize;
    view.setUint16(at, float16Bits(d), true);
    for (let j = 0; j < QK; j++) view.setInt8(at + 2 + j, roundHalfAwayFromZero(Math.fround((values[start + j] ?? 0) * id)));
  }
  return out;
}

/**
 * Q4_0: per block of 32, d = (value of largest magnitude) / -8 and nibbles
 * q = min(15, trunc(x / d + 8.5)), so x ≈ (q − 8)·d. Nibble j holds value j in its
 * low half and value j + 16 in its high half (ggml's layout, not interleaved pairs).
 */
export function quantizeQ4_0(values: Float32Array): Uint8Array {
  const { typeSize } = blockLayout(GgmlType.Q4_0);
  const blocks = values.length / QK;
  const out = new Uint8Array(blocks * typeSize);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const start = b * QK;
    const d = Math.fround(signedMaxAbs(values, start) / -8);
    const id = d === 0 ? 0 : Math.fround(1 / d);
    const at = b * typeSize;
    view.setUint16(at, float16Bits(d), true);
    for (let j = 0; j < QK / 2; j++) {
      const low = nibble(Math.fround((values[start + j] ?? 0) * id));
      const high = nibble(Math.fround((values[start + QK / 2 + j] ?? 0) * id));
      out[at + 2 + j] = low | (high << 4);
    }
  }
  return out;
}

function nibble(scaled: number): number {
  return Math.min(15, Math.trunc(Math.fround(scaled + 8.5)));
}

/** C's roundf: halves go away from zero (Math.round would send −2.5 to −2). */
function roundHalfAwayFromZero(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function maxAbs(values: Float32Array, start: number): number {
  let max = 0;
  for (let j = start; j < start + QK; j++) max = Math.max(max, Math.abs(values[j] ?? 0));
  return max;
}

/** The value with the largest magnitude, sign kept (first one on ties, as ggml). */
function signedMaxAbs(values: Float32Array, start: number): number {
  let best = 0;
  for (let j = start; j < start + QK; j++) {
    const v = values[j] ?? 0;
    if (Math.abs(v) > Math.abs(best)) best = v;
  }
  return best;
}
