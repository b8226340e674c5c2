// The keys of a `config { }` item and the values each takes, for completion and hover.
import { DEVICE_PRESETS } from '../../core/devices';

export interface ConfigKeySpec {
  readonly name: string;
  readonly doc: string;
  /** values offered by completion, in order */
  readonly values: readonly { readonly label: string; readonly insert?: string; readonly doc?: string }[];
}

const presets = Object.values(DEVICE_PRESETS).map((d) => ({ label: d.name, doc: `${d.kind}, ${d.memoryBytes / 1024 ** 3} GiB` }));

export const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  { name: 'mode', doc: 'train (weights, gradients, optimizer state and saved activations), infer, or generate (inference with every self-attention layer\'s KV cache for `context` positions)', values: [{ label: 'train' }, { label: 'infer' }, { label: 'generate' }] },
  { name: 'batch', doc: 'the batch size N every per-sample figure is multiplied by', values: [{ label: '32' }] },
  {
    name: 'precision',
    doc: 'element type of weights and activations; mixed keeps fp32 master weights',
    values: ['fp32', 'fp16', 'bf16', 'mixed', 'int8', 'fp64'].map((label) => ({ label })),
  },
  {
    name: 'optimizer',
    doc: 'optimizer state per trainable parameter: sgd none, sgd with momentum one value, adam/adamw two',
    values: [
      { label: 'none' },
      { label: 'sgd' },
      { label: 'sgd(momentum: 0.9)', insert: 'sgd(momentum: ${1:0.9})' },
      { label: 'adam' },
      { label: 'adamw' },
    ],
  },
  {
    name: 'device',
    doc: 'the memory budget: a preset or gpu|cpu|ipu(memory: SIZE)',
    values: [
      ...presets,
      { label: 'gpu(memory: 16GiB)', insert: 'gpu(memory: ${1:16GiB})' },
      { label: 'cpu(memory: 64GiB)', insert: 'cpu(memory: ${1:64GiB})' },
      { label: 'ipu(memory: 900MiB)', insert: 'ipu(memory: ${1:900MiB})' },
    ],
  },
  { name: 'layout', doc: 'which axis is channels: nchw (channels first) or nhwc (channels last)', values: [{ label: 'nchw' }, { label: 'nhwc' }] },
  { name: 'lowering', doc: 'how convolutions run: auto, im2col (with a workspace) or direct', values: [{ label: 'auto' }, { label: 'im2col' }, { label: 'direct' }] },
  { name: 'framework', doc: "whose allocator the expected peak describes: ideal (a planner), pytorch (eager PyTorch) or tfjs", values: [{ label: 'ideal' }, { label: 'pytorch' }, { label: 'tfjs' }] },
  { name: 'devices', doc: 'data-parallel world size: the per-device memory is for one of this many devices (times tensorParallel x pipeline in all)', values: [{ label: '8' }] },
  {
    name: 'zero',
    doc: 'ZeRO stage: 1 shards optimizer state, 2 also gradients, 3 also parameters (FSDP NO_SHARD = 0, SHARD_GRAD_OP = 2, FULL_SHARD = 3)',
    values: ['0', '1', '2', '3'].map((label) => ({ label })),
  },
  { name: 'offload', doc: 'cpu: optimizer state (and at stage 3 the parameters) in host memory', values: [{ label: 'none' }, { label: 'cpu' }] },
  { name: 'gradientAccumulation', doc: 'micro-batches per optimizer step: each device holds one micro-batch of activations', values: [{ label: '4' }] },
  { name: 'context', doc: 'generate mode: the positions each self-attention layer\'s KV cache holds (prompt and new tokens); unset: the length the layer is written for', values: [{ label: '2048' }] },
  { name: 'tensorParallel', doc: 'Megatron-style tensor parallelism over T devices: attention heads, MLP column/row pairs and embedding tables split over T', values: [{ label: '4' }] },
  { name: 'sequenceParallel', doc: 'with tensorParallel: norms, dropout and residual adds split along the sequence over T (Korthikanti et al. 2022)', values: [{ label: 'true' }, { label: 'false' }] },
  { name: 'pipeline', doc: 'pipeline stages P: layers split into P contiguous stages (1F1B); the per-device figure is the worst stage', values: [{ label: '2' }] },
  { name: 'microbatches', doc: 'micro-batches per pipeline step: the first stage holds min(pipeline, microbatches) of them in flight', values: [{ label: '8' }] },
  {
    name: 'quantize',
    doc: 'frozen dense and attention weights as bitsandbytes stores them: int8 (Linear8bitLt), nf4 (Linear4bit), nf4-dq (with double quantisation, QLoRA)',
    values: ['none', 'int8', 'nf4', 'nf4-dq'].map((label) => ({ label })),
  },
];
