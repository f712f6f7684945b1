/**
 * Minimal protobuf (proto3 wire format) encoder: just what ONNX's ModelProto needs.
 *
 * Messages are built bottom-up: a child message is finished into bytes first, then
 * embedded in its parent as a length-delimited field. That keeps the encoder
 * trivial (no length back-patching) at the price of copying large tensors once per
 * nesting level, which is cheap next to generating them.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const UINT64_MASK = (1n << 64n) - 1n;

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** int32/int64/enum/bool field. Negative values use the 10-byte two's-complement form. */
  varintField(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  floatField(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(data.length);
    this.push(data);
    return this;
  }

  stringField(field: number, value: string): this {
    return this.bytesField(field, Buffer.from(value, 'utf8'));
  }

  messageField(field: number, message: ProtoWriter): this {
    return this.bytesField(field, message.finish());
  }

  /** Packed repeated int64 (the proto3 default encoding for repeated scalars). */
  packedVarintField(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const value of values) inner.varint(value);
    return this.bytesField(field, inner.finish());
  }

  /** Packed repeated float. */
  packedFloatField(field: number, values: readonly number[]): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((value, i) => view.setFloat32(i * 4, value, true));
    return this.bytesField(field, bytes);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value)) & UINT64_MASK;
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(bytes));
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
}
