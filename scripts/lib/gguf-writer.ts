/**
 * Writes GGUF v3 files (the llama.cpp model format), streaming tensor data to disk.
 *
 * Layout: magic "GGUF", version 3, tensor count, key/value count, the typed
 * key/value metadata, one info record per tensor (name, shape, ggml type, offset
 * into the data section), zero padding to the alignment, then the tensor data, each
 * tensor starting at a multiple of the alignment (32 bytes, GGUF's default, so no
 * `general.alignment` key is needed).
 *
 * Offsets are known up front because a tensor's byte size follows from its type and
 * shape, so the header is written first and each tensor's bytes are produced only
 * when it is its turn: a 280 MB model never has more than one tensor chunk in memory.
 * The sha256 is computed on the way, so callers can stamp the file without re-reading.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { GGML_TYPE_NAMES, tensorByteLength, type GgmlType } from './ggml-types.js';
import { writeGgufString, writeGgufValue, type GgufValue } from './gguf-values.js';
import { LeByteWriter } from './le-byte-writer.js';
import type { FileRecord } from './model-folder.js';

export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;
const GGUF_MAGIC = new Uint8Array([0x47, 0x47, 0x55, 0x46]); // "GGUF"

export interface GgufTensor {
  readonly name: string;
  readonly type: GgmlType;
  /** ggml order: [ne0 = row length (contiguous), ne1 = rows, …]. */
  readonly shape: readonly number[];
  /**
   * Produces the tensor's bytes (ggml layout for `type`), in as many chunks as
   * convenient. Called once, when the tensor is written; the total must equal the
   * size implied by type and shape.
   */
  readonly data: () => Iterable<Uint8Array>;
}

export interface GgufFile {
  /** Key → typed value, written in insertion order. */
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensor[];
}

interface TensorPlacement {
  readonly tensor: GgufTensor;
  readonly bytes: number;
  /** Relative to the start of the data section. */
  readonly offset: number;
}

/** Writes `file` to `path` and returns its size and sha256. */
export function writeGgufFile(path: string, file: GgufFile): FileRecord {
  const placements = placeTensors(file.tensors);
  const sink = new HashingFileSink(path);
  try {
    sink.write(encodeHeader(file.metadata, placements));
    for (const placement of placements) writeTensorData(sink, placement);
    return sink.finish();
  } finally {
    sink.close();
  }
}

function placeTensors(tensors: readonly GgufTensor[]): TensorPlacement[] {
  const names = new Set<string>();
  let offset = 0;
  return tensors.map((tensor) => {
    if (names.has(tensor.name)) throw new Error(`duplicate tensor name ${tensor.name}`);
    names.add(tensor.name);
    const bytes = tensorByteLength(tensor.type, tensor.shape);
    const placement = { tensor, bytes, offset };
    offset = alignUp(offset + bytes);
    return placement;
  });
}

function encodeHeader(metadata: ReadonlyMap<string, GgufValue>, placements: readonly TensorPlacement[]): Uint8Array {
  const out = new LeByteWriter();
  out.bytes(GGUF_MAGIC).u32(GGUF_VERSION).u64(placements.length).u64(metadata.size);
  for (const [key, value] of metadata) {
    writeGgufString(out, key);
    writeGgufValue(out, value);
  }
  for (const { tensor, offset } of placements) {
    writeGgufString(out, tensor.name);
    out.u32(tensor.shape.length);
    for (const n of tensor.shape) out.u64(n);
    out.u32(tensor.type).u64(offset);
  }
  return out.padTo(GGUF_ALIGNMENT).finish();
}

function writeTensorData(sink: HashingFileSink, { tensor, bytes }: TensorPlacement): void {
  let written = 0;
  for (const chunk of tensor.data()) {
    written += chunk.length;
    if (written > bytes) break;
    sink.write(chunk);
  }
  if (written !== bytes) {
    throw new Error(`tensor ${tensor.name} (${GGML_TYPE_NAMES[tensor.type]} [${tensor.shape.join(', ')}]) produced ${written} bytes, expected ${bytes}`);
  }
  sink.write(new Uint8Array(alignUp(bytes) - bytes));
}

function alignUp(n: number): number {
  return Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
}

/** Sequential file writes with a running sha256 and byte count. */
class HashingFileSink {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private closed = false;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(chunk: Uint8Array): void {
    let done = 0;
    while (done < chunk.length) done += writeSync(this.fd, chunk, done, chunk.length - done);
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  finish(): FileRecord {
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
