// The graph's op and tensor fields the engine reads on every pass, as typed arrays: a second view
// of the IR. A 100,000-op graph is tens of MB of objects spread over the heap, and each pass over
// them (gradient flow, forward, backward, in-place checks) paid a cache miss per op and per tensor
// it touched. GraphBuilder fills the columns as it adds ops (their fields are at hand then) and
// attaches them to the graph; a graph made another way gets them from one pass over its objects.
import { DTYPE_BYTES, type AttrValue, type DType, type Graph, type OpId, type ParamCount, type TensorId } from './ir';
import { lookupOp } from './ops/registry';
import { Attachment } from './attach';
import { FloatColumn, IntColumn } from './columns';
import type { OpSpec } from './ops/types';

export interface GraphColumns {
  readonly opCount: number;
  /** the registry entry of each op; undefined for an op it does not know */
  readonly opSpec: readonly (OpSpec | undefined)[];
  /** each op's resolved non-tensor arguments (OpNode.attrs) */
  readonly opAttrs: readonly Readonly<Record<string, AttrValue>>[];
  /** 1 when the source asks for the op to run in place (`inplace: true`) */
  readonly opRequestsInPlace: Uint8Array;
  readonly tensorCount: number;
  /** the inputs of op i are inputs[inputStart[i] .. inputStart[i + 1]) */
  readonly inputStart: Int32Array;
  readonly inputs: Int32Array;
  readonly opOutput: Int32Array;
  readonly opTrainable: Float64Array;
  readonly opNonTrainable: Float64Array;
  /** of opNonTrainable, the frozen weights (OpNode.frozen): priced at the weight dtype */
  readonly opFrozen: Float64Array;
  /** 1 when the op reuses another op's weights (sharesParamsWith) */
  readonly opSharesParams: Uint8Array;
  /** whose weights the op's gradient goes to: sharesParamsWith, else the op itself */
  readonly opWeightOwner: Float64Array;
  /** 1 for `input` ops */
  readonly opIsInput: Uint8Array;
  /** the op's checkpoint segment; NaN outside any */
  readonly opSegment: Float64Array;
  /** each tensor's per-sample shape (Tensor.shape; ops that keep their input's shape share its array) */
  readonly tensorShape: readonly (readonly number[])[];
  /** bytes of one sample of each tensor (0 for a batch-independent one) */
  readonly tensorBytes: Float64Array;
  /** bytes of each batch-independent tensor (0 for the others, and for views of the weights) */
  readonly tensorFixedBytes: Float64Array;
  /** 1 for a tensor that does not grow with the batch */
  readonly tensorBatchIndependent: Uint8Array;
  readonly tensorProducer: Int32Array;
  readonly tensorElements: Float64Array;
  /** index of each tensor's dtype in DTYPES */
  readonly tensorDType: Uint8Array;
  /** 1 for the model's outputs */
  readonly tensorIsOutput: Uint8Array;
}

export const DTYPES = Object.keys(DTYPE_BYTES) as readonly DType[];
/** a record, not a Map: GraphBuilder looks one up per op */
const DTYPE_CODE = Object.fromEntries(DTYPES.map((d, i) => [d, i])) as Readonly<Record<DType, number>>;

/** the source asks for the op to run in place (`inplace: true`, or the op's own flag) */
function requestsInPlace(inPlace: boolean, attrs: Readonly<Record<string, unknown>>): boolean {
  return inPlace || attrs['inplace'] === true;
}

/** graphs are immutable: the columns are made once per graph */
const cache = new Attachment<Graph, GraphColumns>('memlens graph columns');

/** the columns of a graph GraphBuilder has just built, filled op by op */
export function attachGraphColumns(graph: Graph, columns: GraphColumns): void {
  cache.set(graph, columns);
}

/** the columns, op by op, in the order a builder adds them (an op's id is its index, and so is its output's) */
export class GraphColumnsBuilder {
  private readonly opSpec: OpSpec[] = [];
  private readonly opAttrs: Readonly<Record<string, AttrValue>>[] = [];
  private readonly opRequestsInPlace = new IntColumn();
  private readonly inputStart = new IntColumn();
  private readonly inputs = new IntColumn();
  private readonly opTrainable = new FloatColumn();
  private readonly opNonTrainable = new FloatColumn();
  private readonly opFrozen = new FloatColumn();
  private readonly opSharesParams = new IntColumn();
  private readonly opWeightOwner = new FloatColumn();
  private readonly opIsInput = new IntColumn();
  private readonly opSegment = new FloatColumn();
  private readonly tensorShape: (readonly number[])[] = [];
  private readonly tensorBytes = new FloatColumn();
  private readonly tensorFixedBytes = new FloatColumn();
  private readonly tensorBatchIndependent = new IntColumn();
  private readonly tensorElements = new FloatColumn();
  private readonly tensorDType = new IntColumn();

  constructor() {
    this.inputStart.push(0);
  }

  get opCount(): number {
    return this.opSpec.length;
  }

  shapeOf(tensor: TensorId): readonly number[] {
    return this.tensorShape[tensor]!;
  }

  paramsOf(op: OpId): ParamCount {
    return { trainable: this.opTrainable.at(op), nonTrainable: this.opNonTrainable.at(op) };
  }

  dtypeOf(tensor: TensorId): DType {
    return DTYPES[this.tensorDType.at(tensor)]!;
  }

  /** more parameters on an op already added (weights a frontend attributes to it afterwards) */
  addParams(op: OpId, params: ParamCount, frozen = 0): void {
    this.opTrainable.set(op, this.opTrainable.at(op) + params.trainable);
    this.opNonTrainable.set(op, this.opNonTrainable.at(op) + params.nonTrainable);
    this.opFrozen.set(op, this.opFrozen.at(op) + frozen);
  }

  /** whose weights an op uses: its own id, or the op it shares them with */
  weightOwnerOf(op: OpId): OpId {
    return this.opWeightOwner.at(op);
  }

  isBatchIndependent(tensor: TensorId): boolean {
    return this.tensorBatchIndependent.at(tensor) === 1;
  }

  /** an op and the tensor it writes; returns the op's id (its output's id too) */
  add(
    spec: OpSpec,
    attrs: Readonly<Record<string, AttrValue>>,
    inputs: readonly TensorId[],
    inPlace: boolean,
    params: ParamCount,
    sharesParamsWith: OpId | undefined,
    checkpointSegment: number | undefined,
    shape: readonly number[],
    dtype: DType,
    elementsPerSample: number,
    batchIndependent = false,
    frozen = 0,
  ): OpId {
    const id = this.opSpec.length;
    this.opSpec.push(spec);
    this.opAttrs.push(attrs);
    this.opRequestsInPlace.push(requestsInPlace(inPlace, attrs) ? 1 : 0);
    for (let k = 0; k < inputs.length; k++) this.inputs.push(inputs[k]!);
    this.inputStart.push(this.inputs.length);
    this.opTrainable.push(params.trainable);
    this.opNonTrainable.push(params.nonTrainable);
    this.opFrozen.push(frozen);
    this.opSharesParams.push(sharesParamsWith === undefined ? 0 : 1);
    this.opWeightOwner.push(sharesParamsWith ?? id);
    this.opIsInput.push(spec.name === 'input' ? 1 : 0);
    this.opSegment.push(checkpointSegment ?? Number.NaN);
    this.tensorShape.push(shape);
    const bytes = elementsPerSample * DTYPE_BYTES[dtype];
    this.tensorBytes.push(batchIndependent || spec.repeatsInput ? 0 : bytes);
    this.tensorFixedBytes.push(batchIndependent && !spec.viewsWeights ? bytes : 0);
    this.tensorBatchIndependent.push(batchIndependent ? 1 : 0);
    this.tensorElements.push(elementsPerSample);
    this.tensorDType.push(DTYPE_CODE[dtype]);
    return id;
  }

  finish(outputs: readonly number[]): GraphColumns {
    const count = this.opSpec.length;
    const tensorIsOutput = new Uint8Array(count);
    for (let k = 0; k < outputs.length; k++) tensorIsOutput[outputs[k]!] = 1;
    // one op, one output: op i writes tensor i
    const identity = new Int32Array(count);
    for (let i = 0; i < count; i++) identity[i] = i;
    return {
      opCount: count,
      opSpec: this.opSpec,
      opAttrs: this.opAttrs,
      opRequestsInPlace: new Uint8Array(this.opRequestsInPlace.finish()),
      tensorCount: count,
      inputStart: this.inputStart.finish(),
      inputs: this.inputs.finish(),
      opOutput: identity,
      opTrainable: this.opTrainable.finish(),
      opNonTrainable: this.opNonTrainable.finish(),
      opFrozen: this.opFrozen.finish(),
      opSharesParams: new Uint8Array(this.opSharesParams.finish()),
      opWeightOwner: this.opWeightOwner.finish(),
      opIsInput: new Uint8Array(this.opIsInput.finish()),
      opSegment: this.opSegment.finish(),
      tensorShape: this.tensorShape,
      tensorBytes: this.tensorBytes.finish(),
      tensorFixedBytes: this.tensorFixedBytes.finish(),
      tensorBatchIndependent: new Uint8Array(this.tensorBatchIndependent.finish()),
      tensorProducer: identity,
      tensorElements: this.tensorElements.finish(),
      tensorDType: new Uint8Array(this.tensorDType.finish()),
      tensorIsOutput,
    };
  }
}

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
  const opFrozen = new Float64Array(opCount);
  const opSharesParams = new Uint8Array(opCount);
  const opWeightOwner = new Float64Array(opCount);
  const opIsInput = new Uint8Array(opCount);
  const opSegment = new Float64Array(opCount);
  const opSpec = new Array<OpSpec | undefined>(opCount);
  const opAttrs = new Array<Readonly<Record<string, AttrValue>>>(opCount);
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
    opFrozen[i] = op.frozen ?? 0;
    const shares = op.sharesParamsWith;
    opSharesParams[i] = shares === undefined ? 0 : 1;
    opWeightOwner[i] = shares ?? op.id;
    opIsInput[i] = op.op === 'input' ? 1 : 0;
    opSegment[i] = op.checkpointSegment ?? Number.NaN;
    opSpec[i] = lookupOp(op.op);
    opAttrs[i] = op.attrs;
    opRequestsInPlace[i] = requestsInPlace(op.inPlace, op.attrs) ? 1 : 0;
  }
  const tensorCount = tensors.length;
  const tensorBytes = new Float64Array(tensorCount);
  const tensorFixedBytes = new Float64Array(tensorCount);
  const tensorBatchIndependent = new Uint8Array(tensorCount);
  const tensorProducer = new Int32Array(tensorCount);
  const tensorElements = new Float64Array(tensorCount);
  const tensorDType = new Uint8Array(tensorCount);
  const tensorShape = new Array<readonly number[]>(tensorCount);
  const tensorIsOutput = new Uint8Array(tensorCount);
  for (let t = 0; t < tensorCount; t++) {
    const tensor = tensors[t]!;
    const bytes = tensor.elementsPerSample * DTYPE_BYTES[tensor.dtype];
    const producer = lookupOp(ops[tensor.producer]!.op);
    tensorBytes[t] = tensor.batchIndependent || producer?.repeatsInput ? 0 : bytes;
    tensorFixedBytes[t] = tensor.batchIndependent && !producer?.viewsWeights ? bytes : 0;
    tensorBatchIndependent[t] = tensor.batchIndependent ? 1 : 0;
    tensorProducer[t] = tensor.producer;
    tensorElements[t] = tensor.elementsPerSample;
    tensorDType[t] = DTYPE_CODE[tensor.dtype];
    tensorShape[t] = tensor.shape;
  }
  for (let k = 0; k < graph.outputs.length; k++) tensorIsOutput[graph.outputs[k]!] = 1;
  return {
    opCount,
    opSpec,
    opAttrs,
    opRequestsInPlace,
    tensorCount,
    inputStart,
    inputs,
    opOutput,
    opTrainable,
    opNonTrainable,
    opFrozen,
    opSharesParams,
    opWeightOwner,
    opIsInput,
    opSegment,
    tensorShape,
    tensorBytes,
    tensorFixedBytes,
    tensorBatchIndependent,
    tensorProducer,
    tensorElements,
    tensorDType,
    tensorIsOutput,
  };
}
