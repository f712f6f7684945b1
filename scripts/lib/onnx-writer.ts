/**
 * Encodes an ONNX ModelProto (onnx.proto3) with the hand-written protobuf encoder.
 *
 * Only the subset of the schema that inference graphs need is covered: tensors as
 * raw_data, nodes with scalar/list/tensor attributes, typed graph inputs/outputs,
 * one default-domain opset import. Field numbers below are from onnx/onnx.proto3.
 */
import { endianness } from 'node:os';
import { ProtoWriter } from './protobuf-writer.js';

/** TensorProto.DataType values used here. */
export const OnnxType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
} as const;
export type OnnxType = (typeof OnnxType)[keyof typeof OnnxType];

export interface OnnxTensor {
  readonly name: string;
  readonly dataType: OnnxType;
  readonly dims: readonly number[];
  /** Little-endian element bytes (ONNX raw_data is always little-endian). */
  readonly raw: Uint8Array;
}

export type OnnxAttribute =
  | { readonly name: string; readonly kind: 'int'; readonly value: number }
  | { readonly name: string; readonly kind: 'float'; readonly value: number }
  | { readonly name: string; readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: 'string'; readonly value: string }
  | { readonly name: string; readonly kind: 'tensor'; readonly value: OnnxTensor };

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly OnnxAttribute[];
}

/** A graph input/output: element type plus a shape of fixed sizes or symbolic names. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: OnnxType;
  readonly shape: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  readonly graph: OnnxGraph;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString?: string;
  /** Free-form key/value strings stored in ModelProto.metadata_props. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** IR version 8 is what ONNX 1.12–1.13 write for opset 17; every ORT since 1.12 reads it. */
const IR_VERSION = 8;

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, ints: 7 } as const;

export function encodeOnnxModel(model: OnnxModel): Buffer {
  const w = new ProtoWriter()
    .varintField(1, IR_VERSION)
    .stringField(2, model.producerName)
    .stringField(3, model.producerVersion);
  if (model.docString !== undefined) w.stringField(6, model.docString);
  w.messageField(7, encodeGraph(model.graph));
  w.messageField(8, new ProtoWriter().stringField(1, '').varintField(2, model.opsetVersion));
  for (const [key, value] of Object.entries(model.metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    w.messageField(14, new ProtoWriter().stringField(1, key).stringField(2, value));
  }
  return w.finish();
}

function encodeGraph(graph: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.messageField(1, encodeNode(node));
  w.stringField(2, graph.name);
  for (const tensor of graph.initializers) w.messageField(5, encodeTensor(tensor));
  for (const input of graph.inputs) w.messageField(11, encodeValueInfo(input));
  for (const output of graph.outputs) w.messageField(12, encodeValueInfo(output));
  return w;
}

function encodeNode(node: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.stringField(1, input);
  for (const output of node.outputs) w.stringField(2, output);
  w.stringField(3, node.name).stringField(4, node.opType);
  for (const attribute of node.attributes) w.messageField(5, encodeAttribute(attribute));
  return w;
}

function encodeAttribute(attribute: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().stringField(1, attribute.name);
  switch (attribute.kind) {
    case 'float':
      w.floatField(2, attribute.value);
      break;
    case 'int':
      w.varintField(3, attribute.value);
      break;
    case 'string':
      w.stringField(4, attribute.value);
      break;
    case 'tensor':
      w.messageField(5, encodeTensor(attribute.value));
      break;
    case 'ints':
      w.packedVarintField(8, attribute.value);
      break;
  }
  return w.varintField(20, ATTRIBUTE_TYPE[attribute.kind]);
}

function encodeTensor(tensor: OnnxTensor): ProtoWriter {
  return new ProtoWriter()
    .packedVarintField(1, tensor.dims)
    .varintField(2, tensor.dataType)
    .stringField(8, tensor.name)
    .bytesField(9, tensor.raw);
}

function encodeValueInfo(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) {
    const dimension = new ProtoWriter();
    if (typeof dim === 'number') dimension.varintField(1, dim);
    else dimension.stringField(2, dim);
    shape.messageField(1, dimension);
  }
  const tensorType = new ProtoWriter().varintField(1, info.elemType).messageField(2, shape);
  const type = new ProtoWriter().messageField(1, tensorType);
  return new ProtoWriter().stringField(1, info.name).messageField(2, type);
}

// ---- tensor constructors -------------------------------------------------------

// Typed arrays use the host byte order; ONNX wants little-endian. Every machine this
// runs on is little-endian, so fail loudly instead of silently writing a broken file.
function hostBytes(view: ArrayBufferView): Uint8Array {
  if (endianness() !== 'LE') throw new Error('onnx-writer: big-endian hosts are not supported');
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function checkSize(name: string, dims: readonly number[], length: number): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== length) {
    throw new Error(`onnx-writer: tensor ${name} has ${length} values but dims [${dims.join(', ')}] need ${expected}`);
  }
}

export function floatTensor(name: string, dims: readonly number[], values: Float32Array | readonly number[]): OnnxTensor {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  checkSize(name, dims, data.length);
  return { name, dataType: OnnxType.FLOAT, dims, raw: hostBytes(data) };
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): OnnxTensor {
  checkSize(name, dims, values.length);
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return { name, dataType: OnnxType.INT64, dims, raw: hostBytes(data) };
}

export function int8Tensor(name: string, dims: readonly number[], values: Int8Array): OnnxTensor {
  checkSize(name, dims, values.length);
  return { name, dataType: OnnxType.INT8, dims, raw: hostBytes(values) };
}

export function uint8Tensor(name: string, dims: readonly number[], values: Uint8Array): OnnxTensor {
  checkSize(name, dims, values.length);
  return { name, dataType: OnnxType.UINT8, dims, raw: hostBytes(values) };
}
