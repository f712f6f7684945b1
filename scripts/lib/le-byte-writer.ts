/**
 * A growable little-endian byte buffer for binary headers (GGUF metadata and
 * tensor infos). GGUF is little-endian whatever the host, so every multi-byte value
 * goes through DataView with littleEndian = true.
 */

const textEncoder = new TextEncoder();

export class LeByteWriter {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  get byteLength(): number {
    return this.length;
  }

  u8(value: number): this {
    this.reserve(1).setUint8(this.length, value);
    this.length += 1;
    return this;
  }

  i8(value: number): this {
    this.reserve(1).setInt8(this.length, value);
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.reserve(2).setUint16(this.length, value, true);
    this.length += 2;
    return this;
  }

  i16(value: number): this {
    this.reserve(2).setInt16(this.length, value, true);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.reserve(4).setUint32(this.length, value, true);
    this.length += 4;
    return this;
  }

  i32(value: number): this {
    this.reserve(4).setInt32(this.length, value, true);
    this.length += 4;
    return this;
  }

  /** Accepts numbers up to 2⁵³ (file offsets, counts) or bigints. */
  u64(value: number | bigint): this {
    this.reserve(8).setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
    return this;
  }

  i64(value: number | bigint): this {
    this.reserve(8).setBigInt64(this.length, BigInt(value), true);
    this.length += 8;
    return this;
  }

  f32(value: number): this {
    this.reserve(4).setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  f64(value: number): this {
    this.reserve(8).setFloat64(this.length, value, true);
    this.length += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** UTF-8 bytes, no length prefix, no terminator. */
  utf8(text: string): this {
    return this.bytes(textEncoder.encode(text));
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  padTo(alignment: number): this {
    const padding = (alignment - (this.length % alignment)) % alignment;
    return this.bytes(new Uint8Array(padding));
  }

  /** A view of the bytes written so far (shares memory with the writer). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): DataView {
    if (this.length + extra > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < this.length + extra) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    return this.view;
  }
}
