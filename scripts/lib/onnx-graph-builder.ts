/**
 * Small imperative builder for ONNX graphs: `op()` appends a node and returns the
 * name(s) of its output(s), so graphs read like the forward pass they encode.
 * Names are deterministic (scope + op type + counter), which keeps the model bytes
 * identical from run to run.
 */
import {
  floatTensor,
  int64Tensor,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxNode,
  type OnnxTensor,
  type OnnxType,
  type OnnxValueInfo,
} from './onnx-writer.js';

/** Attribute values: plain numbers are INT; wrap floats with `float()`. */
export type AttributeValue = number | readonly number[] | string | { readonly float: number } | OnnxTensor;

export const float = (value: number): { readonly float: number } => ({ float: value });

export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly initializerNames = new Set<string>();
  private readonly scopes: string[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  input(name: string, elemType: OnnxType, shape: readonly (number | string)[]): string {
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Declares a graph output; `value` is renamed to `name` with an Identity if needed. */
  output(value: string, name: string, elemType: OnnxType, shape: readonly (number | string)[]): void {
    if (value !== name) this.nodes.push(this.node('Identity', [value], [name], {}));
    this.outputs.push({ name, elemType, shape });
  }

  /** Adds a weight; its name is scoped like node names. */
  initializer(tensor: OnnxTensor): string {
    const scoped = { ...tensor, name: this.scoped(tensor.name) };
    if (this.initializerNames.has(scoped.name)) throw new Error(`duplicate initializer name ${scoped.name}`);
    this.initializerNames.add(scoped.name);
    this.initializers.push(scoped);
    return scoped.name;
  }

  constFloat(name: string, values: readonly number[], dims: readonly number[] = values.length === 1 ? [] : [values.length]): string {
    return this.initializer(floatTensor(name, dims, values));
  }

  constInt64(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer(int64Tensor(name, dims, values));
  }

  /** Appends a single-output node and returns its output name. Empty input names mean "omitted optional input". */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}): string {
    const [out] = this.opN(opType, inputs, 1, attributes);
    if (out === undefined) throw new Error('unreachable');
    return out;
  }

  opN(opType: string, inputs: readonly string[], outputCount: number, attributes: Record<string, AttributeValue> = {}): string[] {
    const base = this.scoped(`${opType}_${this.counter++}`);
    const outputs = Array.from({ length: outputCount }, (_, i) => `${base}/out${i}`);
    this.nodes.push(this.node(opType, inputs, outputs, attributes, base));
    return outputs;
  }

  /** Runs `body` with node/weight names prefixed by `scope` (e.g. "layer.3/attention"). */
  scope<T>(scope: string, body: () => T): T {
    this.scopes.push(scope);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  build(): OnnxGraph {
    return { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }

  private scoped(name: string): string {
    return [...this.scopes, name].join('/');
  }

  private node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Record<string, AttributeValue>,
    name = this.scoped(`${opType}_${this.counter++}`),
  ): OnnxNode {
    return { opType, name, inputs, outputs, attributes: Object.entries(attributes).map(([key, v]) => toAttribute(key, v)) };
  }
}

function toAttribute(name: string, value: AttributeValue): OnnxAttribute {
  if (typeof value === 'number') return { name, kind: 'int', value };
  if (typeof value === 'string') return { name, kind: 'string', value };
  if (isNumberArray(value)) return { name, kind: 'ints', value };
  if ('float' in value) return { name, kind: 'float', value: value.float };
  return { name, kind: 'tensor', value };
}

function isNumberArray(value: AttributeValue): value is readonly number[] {
  return Array.isArray(value);
}
