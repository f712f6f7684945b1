/**
 * IEEE 754 half precision (binary16) encoding, as ggml stores F16 tensors and the
 * per-block scales of Q4_0/Q8_0.
 *
 * Node 20 has no Math.f16round or Float16Array, so the conversion is done on the
 * float32 bit pattern: round to nearest, ties to even (what ggml's
 * GGML_FP32_TO_FP16 does), with subnormals, overflow to ±Inf and NaN handled.
 * Integer-only, so the result is the same on every platform.
 */

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

const F32_EXPONENT_BIAS = 127;
const F16_EXPONENT_BIAS = 15;
const F16_INFINITY = 0x7c00;
const F16_QUIET_NAN = 0x7e00;

/** The 16-bit pattern of the half nearest to `value`. */
export function float16Bits(value: number): number {
  f32[0] = value;
  const bits = f32Bits[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (exponent === 0xff) return sign | (mantissa === 0 ? F16_INFINITY : F16_QUIET_NAN);
  const halfExponent = exponent - F32_EXPONENT_BIAS + F16_EXPONENT_BIAS;
  if (halfExponent >= 0x1f) return sign | F16_INFINITY;
  if (halfExponent <= 0) return sign | subnormalHalf(exponent, mantissa);

  // Adding the rounded mantissa (not OR-ing) lets a carry bump the exponent, and a
  // carry out of the largest finite value become Inf, exactly as IEEE rounding does.
  const rounded = roundShift(mantissa, 13);
  return sign | ((halfExponent << 10) + rounded);
}

/** Magnitudes below the smallest normal half (2⁻¹⁴): a multiple of 2⁻²⁴, possibly 0. */
function subnormalHalf(exponent: number, mantissa: number): number {
  const shift = 126 - exponent; // 14 … for the largest such float32
  if (shift > 24) return 0; // below half of 2⁻²⁴: rounds to zero
  return roundShift(mantissa | 0x800000, shift);
}

/** value >> shift, rounded to nearest with ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}
