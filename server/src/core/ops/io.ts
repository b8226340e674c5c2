import type { OpSpec } from './types';
import { NO_PARAMS } from './common';
import { ShapeError } from './types';

export const ioOps: readonly OpSpec[] = [
  {
    name: 'input',
    family: 'io',
    summary: 'A model input: the per-sample shape; the batch N is implicit',
    formula: 'the given per-sample dims (channels first under nchw); params = 0',
    args: [
      { name: 'shape', kind: 'int', positional: true, variadic: true, required: true, min: 1, doc: 'per-sample dims, e.g. input(3, 224, 224)' },
      { name: 'dtype', kind: 'enum', values: ['fp32', 'fp16', 'bf16', 'int8', 'int32', 'int64', 'bool'], doc: 'element type (default: the precision of the config)' },
      { name: 'per_sample', kind: 'bool', default: true, doc: 'false: an input the whole batch shares (a causal mask [T, T] made outside the model); `shape` is then the whole shape' },
    ],
    inferShape(ctx) {
      const dims = ctx.args['shape'];
      if (!Array.isArray(dims) || dims.length === 0) throw new ShapeError('input needs at least one dimension');
      for (const d of dims) if (!Number.isInteger(d) || d < 1) throw new ShapeError(`input dimension ${d} must be a positive integer`);
      return [...dims];
    },
    params: () => NO_PARAMS,
    outputDType: (ctx) => {
      const d = ctx.args['dtype'];
      return typeof d === 'string' && d !== '' ? (d as 'fp32') : ctx.activationDType;
    },
    savedForBackward: { inputs: [], output: false },
    inPlace: 'never',
  },
];
