// The graph's op and tensor fields the engine reads on every pass, copied once into typed arrays.
// A 100,000-op graph is some 100 MB of objects spread over the heap: each pass over the objects
// (gradient flow, forward, backward, in-place checks) paid a cache miss per op and per tensor it
// touched; after one copying pass the others read a few dense arrays.
import { DTYPE_BYTES, type DType, type Graph } from '../ir';
import { lookupOp } from '../ops/registry';
import { Attachment } from '../attach';
import type { OpSpec } from '../ops/types';

export interface GraphColumns {
  readonly opCount: number;
  /** the registry entry of each op; undefined for an op it does not know */
  readonly opSpec: readonly (OpSpec | undefined)[];
  /** 1 when the source asks for the op to run in place (`inplace: true`) */
  readonly opRequestsInPlace: Uint8Array;
  readonly tensorCount: number;
  /** the inputs of op i are inputs[inputStart[i] .. inputStart[i + 1]) */
  readonly inputStart: Int32Array;
  readonly inputs: Int32Array;
  readonly opOutput: Int32Array;
  readonly opTrainable: Float64Array;
  readonly opNonTrainable: Float64Array;
  /** 1 when the op reuses another op's weights (sharesParamsWith) */
  readonly opSharesParams: Uint8Array;
  /** whose weights the op's gradient goes to: sharesParamsWith, else the op itself */
  readonly opWeightOwner: Float64Array;
  /** 1 for `input` ops */
  readonly opIsInput: Uint8Array;
  /** the op's checkpoint segment; NaN outside any */
  readonly opSegment: Float64Array;
  /** bytes of one sample of each tensor */
  readonly tensorBytes: Float64Array;
  readonly tensorProducer: Int32Array;
  readonly tensorElements: Float64Array;
  /** index of each tensor's dtype in DTYPES */
  readonly tensorDType: Uint8Array;
  /** 1 for the model's outputs */
  readonly tensorIsOutput: Uint8Array;
}

export const DTYPES = Object.keys(DTYPE_BYTES) as readonly DType[];
const DTYPE_CODE = new Map<DType, number>(DTYPES.map((d, i) => [d, i]));

/** graphs are immutable: the columns are made once per graph */
const cache = new Attachment<Graph, GraphColumns>('memlens graph columns');

export function graphColumns(graph: Graph): GraphColumns {
  let columns = cache.get(graph);
  if (!columns) {
    columns = buildColumns(graph);
    cache.set(graph, columns);
  }
  return columns;
}

function buildColumns(graph: Graph): GraphColumns {
  const ops = graph.ops;
  const tensors = graph.tensors;
  const opCount = ops.length;
  let inputCount = 0;
  for (let i = 0; i < opCount; i++) inputCount += ops[i]!.inputs.length;
  const inputStart = new Int32Array(opCount + 1);
  const inputs = new Int32Array(inputCount);
  const opOutput = new Int32Array(opCount);
  const opTrainable = new Float64Array(opCount);
  const opNonTrainable = new Float64Array(opCount);
  const opSharesParams = new Uint8Array(opCount);
  const opWeightOwner = new Float64Array(opCount);
  const opIsInput = new Uint8Array(opCount);
  const opSegment = new Float64Array(opCount);
  const opSpec = new Array<OpSpec | undefined>(opCount);
  const opRequestsInPlace = new Uint8Array(opCount);
  let at = 0;
  for (let i = 0; i < opCount; i++) {
    const op = ops[i]!;
    const opInputs = op.inputs;
    for (let k = 0; k < opInputs.length; k++) inputs[at++] = opInputs[k]!;
    inputStart[i + 1] = at;
    opOutput[i] = op.output;
    opTrainable[i] = op.params.trainable;
    opNonTrainable[i] = op.params.nonTrainable;
    const shares = op.sharesParamsWith;
    opSharesParams[i] = shares === undefined ? 0 : 1;
    opWeightOwner[i] = shares ?? op.id;
    opIsInput[i] = op.op === 'input' ? 1 : 0;
    opSegment[i] = op.checkpointSegment ?? Number.NaN;
    opSpec[i] = lookupOp(op.op);
    opRequestsInPlace[i] = op.inPlace || op.attrs['inplace'] === true ? 1 : 0;
  }
  const tensorCount = tensors.length;
  const tensorBytes = new Float64Array(tensorCount);
  const tensorProducer = new Int32Array(tensorCount);
  const tensorElements = new Float64Array(tensorCount);
  const tensorDType = new Uint8Array(tensorCount);
  const tensorIsOutput = new Uint8Array(tensorCount);
  for (let t = 0; t < tensorCount; t++) {
    const tensor = tensors[t]!;
    tensorBytes[t] = tensor.elementsPerSample * DTYPE_BYTES[tensor.dtype];
    tensorProducer[t] = tensor.producer;
    tensorElements[t] = tensor.elementsPerSample;
    tensorDType[t] = DTYPE_CODE.get(tensor.dtype)!;
  }
  for (let k = 0; k < graph.outputs.length; k++) tensorIsOutput[graph.outputs[k]!] = 1;
  return {
    opCount,
    opSpec,
    opRequestsInPlace,
    tensorCount,
    inputStart,
    inputs,
    opOutput,
    opTrainable,
    opNonTrainable,
    opSharesParams,
    opWeightOwner,
    opIsInput,
    opSegment,
    tensorBytes,
    tensorProducer,
    tensorElements,
    tensorDType,
    tensorIsOutput,
  };
}
