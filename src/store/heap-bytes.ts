/*
 * What V8 (Node 20, 64-bit, no pointer compression) takes for the structures
 * the search indexes hold, measured with node --expose-gc: N structures built
 * and kept, then the heapUsed / arrayBuffers / RSS deltas after gc, divided by N
 * (`npm run bench:index-memory -- --calibrate` checks the sums against the heap).
 */
/** A Map's hash table: 3 words per slot and a bucket word per 2 slots; slots are a power of two ≥ its size, at least 4. Measured 50,000 maps of 0–17 entries and single maps of 1,000–1,000,000: 72 + 28 × slots, exactly. */
const MAP_BASE_BYTES = 72;
const MAP_BYTES_PER_SLOT = 28;
/** A sequential string: a 16-byte header, then 1 byte per character (2 if any is beyond Latin-1), rounded up to 8. Measured 200,000 strings of 7–30 characters cut from a Buffer: exactly this. */
const STRING_HEADER_BYTES = 16;
/** A typed array and its ArrayBuffer object: 184 B of heap (measured 200,000 of 0–64 KiB). */
const TYPED_ARRAY_OBJECT_BYTES = 184;
/** Up to this many bytes of elements sit in the heap beside the objects (V8's typed_array_max_size_in_heap), after a 16-byte header: measured 200 + n. */
const IN_HEAP_ELEMENTS_MAX = 64;
/** Larger elements are malloc'd, with a native BackingStore: RSS − heapTotal − arrayBuffers was 100–210 B each (200,000 of 65 B – 4 KiB). */
const BACKING_STORE_BYTES = 150;
/** The KeywordIndex object: 24 + 8 per field, 11 fields (measured: a 9-field object takes 96 B). */
export const KEYWORD_OBJECT_BYTES = 112;

/** Heap bytes a JS string takes (see STRING_HEADER_BYTES). */
export function stringBytes(text: string): number {
  const perChar = /^[\u0000-\u00ff]*$/.test(text) ? 1 : 2;
  return roundUp8(STRING_HEADER_BYTES + perChar * text.length);
}

/** Heap bytes a JS Map of `size` entries takes (see MAP_BYTES_PER_SLOT). */
export function mapBytes(size: number): number {
  const slots = size <= 4 ? 4 : 2 ** Math.ceil(Math.log2(size));
  return MAP_BASE_BYTES + MAP_BYTES_PER_SLOT * slots;
}

/** Bytes a typed array takes: its objects and all of its elements, used or not. */
export function typedArrayBytes(array: ArrayBufferView): number {
  const n = array.byteLength;
  if (n === 0) return TYPED_ARRAY_OBJECT_BYTES;
  if (n <= IN_HEAP_ELEMENTS_MAX) return TYPED_ARRAY_OBJECT_BYTES + 16 + roundUp8(n);
  return TYPED_ARRAY_OBJECT_BYTES + BACKING_STORE_BYTES + n;
}

function roundUp8(n: number): number {
  return (n + 7) & ~7;
}
