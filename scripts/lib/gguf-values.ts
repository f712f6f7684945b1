/**
 * Typed GGUF metadata values and their encoding.
 *
 * Every GGUF key/value pair carries an explicit value type, and llama.cpp checks it
 * (e.g. `llama.block_count` must be an integer type, `tokenizer.ggml.scores` an
 * array of float32), so values are built with the small constructors in `gguf` and
 * never inferred from JS numbers. Type ids are `enum gguf_type` from ggml's gguf.h.
 */
import type { LeByteWriter } from './le-byte-writer.js';

const TYPE_ID = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

type NumberType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
type BigType = 'uint64' | 'int64';

export type GgufScalar =
  | { readonly type: NumberType; readonly value: number }
  | { readonly type: BigType; readonly value: number | bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string };

export type GgufArray =
  | { readonly type: 'array'; readonly itemType: 'string'; readonly values: readonly string[] }
  | { readonly type: 'array'; readonly itemType: NumberType; readonly values: ArrayLike<number> };

export type GgufValue = GgufScalar | GgufArray;

/** Constructors, named after the GGUF type they produce. */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: 'uint32', value }),
  i32: (value: number): GgufValue => ({ type: 'int32', value }),
  u64: (value: number | bigint): GgufValue => ({ type: 'uint64', value }),
  f32: (value: number): GgufValue => ({ type: 'float32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  strings: (values: readonly string[]): GgufValue => ({ type: 'array', itemType: 'string', values }),
  i32s: (values: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'int32', values }),
  u32s: (values: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'uint32', values }),
  f32s: (values: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'float32', values }),
} as const;

const textEncoder = new TextEncoder();

/** gguf_string: u64 byte length, then UTF-8 bytes (no terminator). */
export function writeGgufString(out: LeByteWriter, text: string): void {
  const bytes = textEncoder.encode(text);
  out.u64(bytes.length).bytes(bytes);
}

/** The value type id followed by the payload, as in a key/value pair. */
export function writeGgufValue(out: LeByteWriter, value: GgufValue): void {
  out.u32(TYPE_ID[value.type]);
  if (value.type === 'array') writeArray(out, value);
  else writeScalarPayload(out, value);
}

function writeArray(out: LeByteWriter, array: GgufArray): void {
  out.u32(TYPE_ID[array.itemType]).u64(array.values.length);
  if (array.itemType === 'string') {
    for (const text of array.values) writeGgufString(out, text);
    return;
  }
  const write = NUMBER_WRITERS[array.itemType];
  for (let i = 0; i < array.values.length; i++) write(out, array.values[i] ?? 0);
}

function writeScalarPayload(out: LeByteWriter, value: GgufScalar): void {
  switch (value.type) {
    case 'string':
      return writeGgufString(out, value.value);
    case 'bool':
      out.u8(value.value ? 1 : 0);
      return;
    case 'uint64':
      out.u64(value.value);
      return;
    case 'int64':
      out.i64(value.value);
      return;
    default:
      NUMBER_WRITERS[value.type](out, value.value);
  }
}

const NUMBER_WRITERS: Readonly<Record<NumberType, (out: LeByteWriter, value: number) => void>> = {
  uint8: (out, v) => out.u8(v),
  int8: (out, v) => out.i8(v),
  uint16: (out, v) => out.u16(v),
  int16: (out, v) => out.i16(v),
  uint32: (out, v) => out.u32(v),
  int32: (out, v) => out.i32(v),
  float32: (out, v) => out.f32(v),
  float64: (out, v) => out.f64(v),
};
