// The names of torch's namespaces that the torch host answers: dtypes, members by the release that
// added them, torch.nn classes described in library/, subpackages and harmless opaque packages.
import type { DType } from '../ir';
import { REARRANGE_LAYER } from './einops';
import { MODULE_BASE } from './modules';
import type { ClassValue } from './values';

export const DTYPES: Record<string, DType> = {
  float32: 'fp32',
  float: 'fp32',
  float16: 'fp16',
  half: 'fp16',
  bfloat16: 'bf16',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int8: 'int8',
  uint8: 'int8',
  bool: 'bool',
  float64: 'fp64',
  double: 'fp64',
};

/** torch members newer than 1.13 that model code tests for with hasattr, by the release that added them */
export const SINCE: Readonly<Record<string, readonly [number, number]>> = {
  'torch.nn.functional.scaled_dot_product_attention': [2, 0],
  'torch.compile': [2, 0],
  'torch.nn.RMSNorm': [2, 4],
  'torch.nn.functional.rms_norm': [2, 4],
};

/** torch.nn classes described in Python under library/ (built from the layers of layers.ts), by the module that describes them */
export const LIBRARY_LAYERS: ReadonlyMap<string, string> = new Map(['Transformer', 'TransformerEncoder', 'TransformerDecoder', 'TransformerEncoderLayer', 'TransformerDecoderLayer'].map((n) => [n, 'torch_nn.transformer']));

/** einops' Rearrange layer as a module class */
export const REARRANGE_CLASS: ClassValue = { kind: 'class', name: 'Rearrange', bases: [MODULE_BASE], attrs: new Map(), isModule: true, layer: REARRANGE_LAYER };

/** torch's subpackages: attribute access gives a namespace */
export const TORCH_PACKAGES = new Set(['nn', 'optim', 'utils', 'cuda', 'fft', 'linalg', 'autograd', 'backends', 'distributed', 'jit', 'onnx', 'special', 'distributions', 'amp', 'cpu', 'mps', 'hub', 'profiler', 'testing', 'sparse', 'quantization', 'ao', 'fx', 'func', 'export', 'library', 'overrides', 'random', 'multiprocessing', 'masked', 'nested']);

/** top-level packages whose members are opaque but harmless (their calls give unknowns) */
export const OPAQUE = new Set(['os', 'sys', 'numpy', 'time', 'random', 'logging', 'json', 'pathlib', 'typing', 'warnings', 'functools', 'itertools', 'copy', 'inspect', 'abc', 'tqdm', 'matplotlib', 'PIL', 'pickle', 'glob', 're', 'shutil', 'datetime', 'einops', 'transformers', 'tensorflow', 'keras']);
