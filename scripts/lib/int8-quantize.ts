/**
 * Symmetric int8 quantization (zero point 0), as used by ONNX Runtime's dynamic
 * quantization for weights: value ≈ q · scale with q in [-127, 127].
 */

export interface PerTensorInt8 {
  readonly q: Int8Array;
  readonly scale: number;
}

export interface PerRowInt8 {
  readonly q: Int8Array;
  /** Per row: value ≈ q / 127 · rowMaxAbs[row]. Zero rows get 0. */
  readonly rowMaxAbs: Float32Array;
}

export const INT8_MAX = 127;

export function quantizePerTensor(values: Float32Array): PerTensorInt8 {
  const maxAbs = maxAbsOf(values, 0, values.length);
  // Math.fround so the scale we quantize with is exactly the float32 stored in the file.
  const scale = Math.fround(maxAbs > 0 ? maxAbs / INT8_MAX : 1);
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = clampRound((values[i] ?? 0) / scale);
  return { q, scale };
}

/**
 * Each row gets its own range, so rows of very different magnitude (e.g. SIF-weighted
 * stop words next to content words) keep the same relative precision.
 */
export function quantizePerRow(values: Float32Array, rows: number, cols: number): PerRowInt8 {
  const q = new Int8Array(rows * cols);
  const rowMaxAbs = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    const maxAbs = Math.fround(maxAbsOf(values, start, start + cols));
    rowMaxAbs[r] = maxAbs;
    if (maxAbs === 0) continue;
    for (let c = start; c < start + cols; c++) q[c] = clampRound(((values[c] ?? 0) / maxAbs) * INT8_MAX);
  }
  return { q, rowMaxAbs };
}

function maxAbsOf(values: Float32Array, start: number, end: number): number {
  let maxAbs = 0;
  for (let i = start; i < end; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i] ?? 0));
  return maxAbs;
}

function clampRound(x: number): number {
  return Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(x)));
}
