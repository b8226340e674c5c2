// Quantised frozen weights (config `quantize`), as bitsandbytes stores them: the frozen matrices of
// dense layers and attention projections, which is what it replaces (nn.Linear modules); biases,
// embeddings, convolutions and norms keep the weight dtype. Sources and exactly what is counted:
// docs/finetune.md#quantised-frozen-weights.
import type { ModelConfig, Quantize } from '../ir';
import type { GraphColumns } from '../graphColumns';

/** one weight matrix: out rows of in columns */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
}

/** weights per 4-bit block, each with one absmax (bitsandbytes' default blocksize) */
export const NF4_BLOCK = 64;
/** 4-bit blocks per second-level block when the absmax are quantised too (QLoRA's double quantisation) */
export const NF4_DQ_BLOCK = 256;
/** the 16-value NF4 code every Linear4bit's quant state holds, fp32 */
export const NF4_CODE_BYTES = 16 * 4;

export function quantizeOf(config: ModelConfig): Quantize {
  return config.quantize ?? 'none';
}

/** bytes of one matrix quantised: int8 1 B + an fp32 scale per row; nf4 0.5 B + the block statistics */
export function quantizedMatrixBytes(m: Matrix, q: Exclude<Quantize, 'none'>): number {
  const n = m.rows * m.cols;
  if (q === 'int8') return n + 4 * m.rows;
  const blocks = Math.ceil(n / NF4_BLOCK);
  const packed = Math.ceil(n / 2);
  // nf4: an fp32 absmax per block; nf4-dq: an 8-bit absmax per block, an fp32 absmax per 256 blocks and the fp32 mean subtracted first
  const statistics = q === 'nf4' ? 4 * blocks : blocks + 4 * Math.ceil(blocks / NF4_DQ_BLOCK) + 4;
  return packed + statistics + NF4_CODE_BYTES;
}

/** the frozen matrices of op `i` that bitsandbytes would quantise (none for a trainable op or another kind) */
export function frozenMatrices(c: GraphColumns, i: number): Matrix[] {
  if (!(c.opFrozen[i]! > 0) || c.opSharesParams[i] === 1) return [];
  const spec = c.opSpec[i];
  const out = c.tensorShape[c.opOutput[i]!]!;
  const input = (k: number): readonly number[] => c.tensorShape[c.inputs[c.inputStart[i]! + k]!]!;
  const last = (s: readonly number[]): number => s[s.length - 1]!;
  switch (spec?.name) {
    case 'dense':
      return [{ rows: last(out), cols: last(input(0)) }];
    case 'attention': {
      const d = last(input(0));
      const heads = Number(c.opAttrs[i]!['heads']);
      const kvHeads = c.opAttrs[i]!['kv_heads'];
      const kv = typeof kvHeads === 'number' ? (kvHeads * d) / heads : d;
      return [{ rows: d, cols: d }, { rows: kv, cols: d }, { rows: kv, cols: d }, { rows: d, cols: d }];
    }
    case 'cross_attention': {
      const d = last(input(0));
      return [{ rows: d, cols: d }, { rows: d, cols: last(input(1)) }, { rows: d, cols: last(input(2)) }, { rows: d, cols: d }];
    }
    default:
      return [];
  }
}

/** the model's quantised weights: how many, their stored bytes, and per op the largest matrix (dequantised while it runs) */
export interface QuantizedWeights {
  readonly weights: number;
  readonly bytes: number;
  /** elements of each op's largest quantised matrix, 0 for the others */
  readonly largest: Float64Array;
}

export function quantizedWeights(c: GraphColumns, config: ModelConfig): QuantizedWeights | undefined {
  const q = quantizeOf(config);
  if (q === 'none') return undefined;
  let weights = 0;
  let bytes = 0;
  const largest = new Float64Array(c.opCount);
  for (let i = 0; i < c.opCount; i++) {
    if (!(c.opFrozen[i]! > 0)) continue;
    for (const m of frozenMatrices(c, i)) {
      weights += m.rows * m.cols;
      bytes += quantizedMatrixBytes(m, q);
      largest[i] = Math.max(largest[i]!, m.rows * m.cols);
    }
  }
  return weights > 0 ? { weights, bytes, largest } : undefined;
}
