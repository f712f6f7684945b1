/**
 * The ggml tensor types this project writes, with their block geometry.
 *
 * Quantized types pack a row in blocks of 32 values (one fp16 scale plus the
 * quantized values), so a row length must be a multiple of the block size. The
 * numeric ids are ggml's `enum ggml_type` and go into the GGUF tensor infos as is.
 */

export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
} as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

interface BlockLayout {
  /** Values per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

const LAYOUT: Readonly<Record<GgmlType, BlockLayout>> = {
  [GgmlType.F32]: { blockSize: 1, typeSize: 4 },
  [GgmlType.F16]: { blockSize: 1, typeSize: 2 },
  // struct block_q4_0 { ggml_half d; uint8_t qs[16]; }: 32 values as 4-bit nibbles
  [GgmlType.Q4_0]: { blockSize: 32, typeSize: 2 + 16 },
  // struct block_q8_0 { ggml_half d; int8_t qs[32]; }
  [GgmlType.Q8_0]: { blockSize: 32, typeSize: 2 + 32 },
};

export const GGML_TYPE_NAMES: Readonly<Record<GgmlType, string>> = {
  [GgmlType.F32]: 'F32',
  [GgmlType.F16]: 'F16',
  [GgmlType.Q4_0]: 'Q4_0',
  [GgmlType.Q8_0]: 'Q8_0',
};

export function blockLayout(type: GgmlType): BlockLayout {
  return LAYOUT[type];
}

/** Bytes of one row of `rowLength` values; throws if the row does not fill whole blocks. */
export function rowByteLength(type: GgmlType, rowLength: number): number {
  const { blockSize, typeSize } = LAYOUT[type];
  if (!Number.isInteger(rowLength) || rowLength <= 0 || rowLength % blockSize !== 0) {
    throw new Error(`${GGML_TYPE_NAMES[type]} rows need a length that is a positive multiple of ${blockSize}, got ${rowLength}`);
  }
  return (rowLength / blockSize) * typeSize;
}

/**
 * Bytes of a tensor of ggml shape `[ne0, ne1, …]` (ne0 = row length, innermost).
 */
export function tensorByteLength(type: GgmlType, shape: readonly number[]): number {
  const [rowLength = 1, ...outer] = shape;
  return outer.reduce((bytes, n) => bytes * n, rowByteLength(type, rowLength));
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, n) => count * n, 1);
}
