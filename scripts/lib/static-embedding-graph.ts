/**
 * ONNX graph of a static (per-token, context-free) embedding model with an int8
 * table, shaped like a transformer encoder so that transformers.js treats it as one:
 *
 *   input_ids ─Gather(int8 table)─DequantizeLinear──────────────┐
 *             └Gather(row scales)─┐                              Mul → last_hidden_state
 *   attention_mask ─Cast(float)───Mul─Unsqueeze(-1) [B,S,1] ─────┘
 *
 * Rows are quantized with their own range (see quantizePerRow): DequantizeLinear maps
 * q to q/127 with one per-tensor scale, and the gathered per-row scale, multiplied by
 * the mask (padding → 0), restores each row's magnitude in the same Mul.
 */
import { GraphBuilder } from './onnx-graph-builder.js';
import { int8Tensor, OnnxType, type OnnxGraph } from './onnx-writer.js';
import { INT8_MAX, type PerRowInt8 } from './int8-quantize.js';

export interface StaticEmbeddingTable {
  readonly rows: number;
  readonly dims: number;
  readonly quantized: PerRowInt8;
}

export function buildStaticEmbeddingGraph(name: string, table: StaticEmbeddingTable): OnnxGraph {
  const g = new GraphBuilder(name);
  const tokens = ['batch_size', 'sequence_length'] as const;
  const inputIds = g.input('input_ids', OnnxType.INT64, tokens);
  const attentionMask = g.input('attention_mask', OnnxType.INT64, tokens);

  const hidden = g.scope('embeddings', () => {
    const q = g.initializer(int8Tensor('word_embeddings_int8', [table.rows, table.dims], table.quantized.q));
    const rowScale = g.constFloat('row_scale', Array.from(table.quantized.rowMaxAbs), [table.rows]);
    const unitScale = g.constFloat('dequant_scale', [1 / INT8_MAX]);
    const zeroPoint = g.initializer(int8Tensor('dequant_zero_point', [], new Int8Array(1)));

    const directions = g.op('DequantizeLinear', [g.op('Gather', [q, inputIds], { axis: 0 }), unitScale, zeroPoint]);
    const scales = g.op('Gather', [rowScale, inputIds], { axis: 0 });
    const mask = g.op('Cast', [attentionMask], { to: OnnxType.FLOAT });
    const tokenWeight = g.op('Unsqueeze', [g.op('Mul', [scales, mask]), g.constInt64('last_axis', [-1])]);
    return g.op('Mul', [directions, tokenWeight]);
  });

  g.output(hidden, 'last_hidden_state', OnnxType.FLOAT, [...tokens, table.dims]);
  return g.build();
}
