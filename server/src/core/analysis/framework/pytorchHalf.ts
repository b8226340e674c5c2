// What torch 1.13 does with half-precision models on a CPU, measured by scripts/torch_half_oracle.py
// (test/fixtures/python/torch_half.json): most float16 kernels are missing (the step raises), and
// bfloat16 runs through oneDNN, whose scratch buffers are not those of the float32 step (and whose
// transposed convolutions are plain ones).
import type { Graph, Mode } from '../../ir';

/**
 * The registry ops whose torch 1.13 CPU kernel is not implemented for float16 ('Half'), by the
 * kernel torch names in its RuntimeError; `train` only where the inference step runs (dropout is
 * the identity there). The ops outside the table that were probed run (embedding, flatten,
 * adaptive average pooling); the others are not known either way.
 */
export const HALF_CPU_MISSING: Readonly<Record<string, { readonly kernel: string; readonly trainOnly?: true }>> = {
  dense: { kernel: 'addmm_impl_cpu_' },
  conv1d: { kernel: 'slow_conv2d_cpu' },
  conv2d: { kernel: 'slow_conv2d_cpu' },
  conv3d: { kernel: 'compute_columns3d' },
  conv2d_transpose: { kernel: 'slow_conv_transpose2d_out_cpu' },
  batchnorm: { kernel: 'batch_norm' },
  layernorm: { kernel: 'LayerNormKernelImpl' },
  groupnorm: { kernel: 'GroupNormKernelImpl' },
  relu: { kernel: 'clamp_min_cpu' },
  leaky_relu: { kernel: 'leaky_relu_cpu' },
  gelu: { kernel: 'GeluKernelImpl' },
  silu: { kernel: 'silu_cpu' },
  sigmoid: { kernel: 'sigmoid_cpu' },
  tanh: { kernel: 'tanh_vml_cpu' },
  softmax: { kernel: 'softmax_lastdim_kernel_impl' },
  log_softmax: { kernel: 'log_softmax_lastdim_kernel_impl' },
  dropout: { kernel: 'bernoulli_scalar_cpu_', trainOnly: true },
  maxpool: { kernel: 'max_pool2d' },
  avgpool: { kernel: 'avg_pool2d' },
  lstm: { kernel: 'addmm_impl_cpu_' },
  gru: { kernel: 'addmm_impl_cpu_' },
  attention: { kernel: 'addmm_impl_cpu_' },
};

/** the registry's transposed convolutions: torch 1.13 runs them in bfloat16 on a CPU as plain convolutions */
const TRANSPOSED_CONVOLUTIONS: ReadonlySet<string> = new Set(['conv1d_transpose', 'conv2d_transpose', 'conv3d_transpose']);

/**
 * What torch 1.13 does wrong with the first op of a float16 or bfloat16 graph on a CPU, with torch's
 * message: a float16 kernel it lacks (HALF_CPU_MISSING), a bfloat16 transposed convolution run as a
 * plain convolution (measured: ConvTranspose2d(4, 4, 3) on [2, 4, 8, 8] gives [2, 4, 6, 6] where
 * float32 gives [2, 4, 10, 10]; with other in and out channels it raises); undefined when none is known to
 */
export function halfCpuError(graph: Graph, precision: 'fp16' | 'bf16', mode: Mode): { op: number; message: string } | undefined {
  for (const op of graph.ops) {
    if (precision === 'bf16') {
      if (TRANSPOSED_CONVOLUTIONS.has(op.op)) return { op: op.id, message: 'a bfloat16 transposed convolution runs as a plain convolution (a smaller output; with other in and out channels a RuntimeError)' };
      continue;
    }
    const missing = HALF_CPU_MISSING[op.op];
    if (missing && (mode === 'train' || !missing.trainOnly)) return { op: op.id, message: `"${missing.kernel}" not implemented for 'Half'` };
  }
  return undefined;
}

/**
 * Why the bfloat16 step is not replayed: torch 1.13 sends a bfloat16 matmul of more than 16 x 16 x
 * 16 multiply-adds to oneDNN, which allocates a scratch buffer for the call whose size follows
 * oneDNN's own blocking of the inner dimension (torch_half.json's bfloat16Scratch), not the float32 step
 */
export const BF16_CPU_REASON = "PyTorch's CPU profile does not replay bfloat16: torch 1.13 runs a bfloat16 matmul of more than 16 x 16 x 16 through oneDNN, whose scratch buffer follows oneDNN's blocking (nn.Linear at batch 8: 8,960 bytes for 64 in-features, 68,480 for 784 and for 1,024, 134,016 for 2,048 and for 4,096), not the float32 step";
