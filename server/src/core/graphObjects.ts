// The op and tensor objects of a graph GraphBuilder made, built from its columns when first read.
// The analyses read the columns (graphColumns.ts); only reports, hovers and a rule's findings look
// at objects, and those at a few of them. A 100,000-op model used to hold two objects and an input
// list per op for the whole analysis: long-lived garbage-collector work and cache misses that made
// the cost per op grow with the model. Each object, once built, is kept: reads see one identity.
import { Attachment } from './attach';
import { DTYPES, type GraphColumns } from './graphColumns';
import { withGetters } from './getters';
import type { CallFrame, Graph, OpId, OpNode, SourceRange, Tensor, TensorId } from './ir';
import { NO_PARAMS } from './ops/common';

/** turns source offsets into a range (the .nnm frontend's line table) */
export interface RangeSource {
  range(from: number, to: number): SourceRange;
}

/** what an op object holds beyond the engine's columns, by op id */
export interface OpDetails {
  /** the ranges given; undefined where the op has offsets into `spans` instead */
  readonly site: readonly (SourceRange | undefined)[];
  readonly statement: readonly (SourceRange | undefined)[];
  readonly spans: readonly (RangeSource | undefined)[];
  readonly siteFrom: Int32Array;
  readonly siteTo: Int32Array;
  readonly statementFrom: Int32Array;
  readonly statementTo: Int32Array;
  readonly callStack: readonly (readonly CallFrame[])[];
  /** 1 where the request said `inPlace` (OpNode.inPlace; the columns' in-place flag also reads attrs) */
  readonly inPlace: Uint8Array;
  /** the tensor's given name; undefined for an unnamed intermediate (`<op>#<id>`) */
  readonly tensorName: readonly (string | undefined)[];
}

/** the graph fields other than its ops and tensors */
export type GraphHead = Omit<Graph, 'ops' | 'tensors'>;

class GraphObjects {
  /** built objects by id; once every slot is filled, also the list graph.ops / graph.tensors return */
  private readonly opObjects: (OpNode | undefined)[];
  private readonly tensorObjects: (Tensor | undefined)[];
  private opsFilled = false;
  private tensorsFilled = false;

  constructor(
    private readonly columns: GraphColumns,
    private readonly details: OpDetails,
  ) {
    this.opObjects = new Array<OpNode | undefined>(columns.opCount);
    this.tensorObjects = new Array<Tensor | undefined>(columns.tensorCount);
  }

  op(id: OpId): OpNode {
    return (this.opObjects[id] ??= this.makeOp(id));
  }

  tensor(id: TensorId): Tensor {
    return (this.tensorObjects[id] ??= this.makeTensor(id));
  }

  ops(): readonly OpNode[] {
    if (!this.opsFilled) {
      for (let i = 0; i < this.opObjects.length; i++) this.op(i);
      this.opsFilled = true;
    }
    return this.opObjects as readonly OpNode[];
  }

  callStack(id: OpId): readonly CallFrame[] {
    return this.details.callStack[id]!;
  }

  tensors(): readonly Tensor[] {
    if (!this.tensorsFilled) {
      for (let t = 0; t < this.tensorObjects.length; t++) this.tensor(t);
      this.tensorsFilled = true;
    }
    return this.tensorObjects as readonly Tensor[];
  }

  private makeOp(id: OpId): OpNode {
    const c = this.columns;
    const d = this.details;
    const inputs: TensorId[] = [];
    for (let k = c.inputStart[id]!; k < c.inputStart[id + 1]!; k++) inputs.push(c.inputs[k]!);
    const trainable = c.opTrainable[id]!;
    const nonTrainable = c.opNonTrainable[id]!;
    const node: { -readonly [K in keyof OpNode]: OpNode[K] } = {
      id,
      op: c.opSpec[id]!.name,
      inputs,
      output: c.opOutput[id]!,
      attrs: c.opAttrs[id]!,
      params: trainable === 0 && nonTrainable === 0 ? NO_PARAMS : { trainable, nonTrainable },
      site: d.site[id] ?? d.spans[id]!.range(d.siteFrom[id]!, d.siteTo[id]!),
      statement: d.statement[id] ?? d.spans[id]!.range(d.statementFrom[id]!, d.statementTo[id]!),
      callStack: d.callStack[id]!,
      inPlace: d.inPlace[id] === 1,
    };
    const segment = c.opSegment[id]!;
    if (!Number.isNaN(segment)) node.checkpointSegment = segment;
    if (c.opSharesParams[id] === 1) node.sharesParamsWith = c.opWeightOwner[id]!;
    if (c.opFrozen[id]! > 0) node.frozen = c.opFrozen[id]!;
    return node;
  }

  private makeTensor(id: TensorId): Tensor {
    const c = this.columns;
    const producer = c.tensorProducer[id]!;
    return {
      id,
      name: this.details.tensorName[id] ?? `${c.opSpec[producer]!.name}#${producer}`,
      shape: c.tensorShape[id]!,
      dtype: DTYPES[c.tensorDType[id]!]!,
      producer,
      elementsPerSample: c.tensorElements[id]!,
      ...(c.tensorBatchIndependent[id] === 1 ? { batchIndependent: true as const } : {}),
    };
  }
}

const store = new Attachment<Graph, GraphObjects>('memlens graph objects');

/** a graph whose `ops` and `tensors` are built from `columns` and `details` on first read */
export function graphFromColumns(head: GraphHead, columns: GraphColumns, details: OpDetails): Graph {
  const objects = new GraphObjects(columns, details);
  // written out, not spread: a spread's result took a hidden class of its own per graph here, and
  // every reader of the graph deoptimised on the next one
  const own: { -readonly [K in keyof GraphHead]: GraphHead[K] } = {
    name: head.name,
    range: head.range,
    nameRange: head.nameRange,
    inputs: head.inputs,
    outputs: head.outputs,
    config: head.config,
  };
  if (head.truncated) own.truncated = true;
  if (head.heldUntil) own.heldUntil = head.heldUntil;
  if (head.tiedWeights) own.tiedWeights = head.tiedWeights;
  const graph = withGetters<GraphHead, Pick<Graph, 'ops' | 'tensors'>>(own, { ops: () => objects.ops(), tensors: () => objects.tensors() });
  store.set(graph, objects);
  return graph;
}

/** `graph.ops[id]`, without building every other op of a graph made from columns */
export function opAt(graph: Graph, id: OpId): OpNode {
  return store.get(graph)?.op(id) ?? graph.ops[id]!;
}

/** `graph.tensors[id]`, without building every other tensor of a graph made from columns */
export function tensorAt(graph: Graph, id: TensorId): Tensor {
  return store.get(graph)?.tensor(id) ?? graph.tensors[id]!;
}

/** `graph.ops[id].callStack`, without building the op object (a rule walks every op's) */
export function callStackAt(graph: Graph, id: OpId): readonly CallFrame[] {
  return store.get(graph)?.callStack(id) ?? graph.ops[id]!.callStack;
}
