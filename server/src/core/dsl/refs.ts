// Collects resolved identifier occurrences and calls while a model elaborates. Only hover,
// definition, references and completion read the refs, on request: an occurrence is recorded as
// the arguments of `add` in columns, and merged into refs (refMerge.ts) on the first `list()`.
import type { OpId, TensorId } from '../ir';
import type { SourceRef } from '../document';
import { RefMerger, type Span } from './refMerge';
import type { SourceLines } from './source';

const KINDS: readonly SourceRef['kind'][] = ['tensor', 'op', 'block', 'model', 'parameter', 'config'];
/** the index of a kind in KINDS (a switch: a map lookup per occurrence showed in profiles) */
function kindIndex(kind: SourceRef['kind']): number {
  switch (kind) {
    case 'tensor':
      return 0;
    case 'op':
      return 1;
    case 'block':
      return 2;
    case 'model':
      return 3;
    case 'parameter':
      return 4;
    case 'config':
      return 5;
  }
}

/** flags column: kind index in the low 3 bits */
const IS_DEFINITION = 8;
const ONCE = 16;
const HAS_TENSOR = 32;
/** `ops` was one id (in the ops column); a list is kept in `opLists` */
const HAS_OP = 64;
const HAS_OP_LIST = 128;

export class RefCollector {
  private count = 0;
  private graphs = new Int32Array(1024);
  private flags = new Uint8Array(1024);
  private tensors = new Int32Array(1024);
  private ops = new Int32Array(1024);
  /** start and end keys (source.ts) of the occurrence and of its definition (-1: none): no node is kept */
  private spans = new Int32Array(4 * 1024);
  /**
   * Names that are not the source text of the span (an op's canonical name: `linear` is `dense`),
   * by index; -1 in `nameIds`: the name is the text at the span, read back in list().
   */
  private nameIds = new Int32Array(1024);
  private readonly otherNames: string[] = [];
  private readonly otherNameIds = new Map<string, number>();
  private readonly opLists = new Map<number, OpId[]>();

  constructor(
    private readonly text: string,
    private readonly lines: SourceLines,
  ) {}

  add(
    graph: number | undefined,
    kind: SourceRef['kind'],
    name: string,
    /** the name met (a place is its start: one name per token), and the one that defines it */
    at: Span,
    definition: Span | undefined,
    isDefinition: boolean,
    tensor?: TensorId,
    ops?: OpId | OpId[],
    /** the occurrence is met once (top level, outside repeat): no merging, no lookup */
    once = false,
  ): void {
    const k = this.count++;
    if (k === this.graphs.length) this.grow();
    let flags = kindIndex(kind);
    if (isDefinition) flags |= IS_DEFINITION;
    if (once) flags |= ONCE;
    if (tensor !== undefined) {
      flags |= HAS_TENSOR;
      this.tensors[k] = tensor;
    }
    if (typeof ops === 'number') {
      flags |= HAS_OP;
      this.ops[k] = ops;
    } else if (ops !== undefined) {
      flags |= HAS_OP_LIST;
      this.opLists.set(k, ops);
    }
    this.flags[k] = flags;
    this.graphs[k] = graph ?? -1;
    this.nameIds[k] = kind === 'op' ? this.nameId(name) : -1;
    const spans = this.spans;
    spans[4 * k] = at.from;
    spans[4 * k + 1] = at.to;
    spans[4 * k + 2] = definition ? definition.from : -1;
    spans[4 * k + 3] = definition ? definition.to : -1;
  }

  private grow(): void {
    const size = 2 * this.graphs.length;
    const widen = <T extends Int32Array | Uint8Array>(old: T, made: T): T => {
      made.set(old);
      return made;
    };
    this.graphs = widen(this.graphs, new Int32Array(size));
    this.flags = widen(this.flags, new Uint8Array(size));
    this.tensors = widen(this.tensors, new Int32Array(size));
    this.ops = widen(this.ops, new Int32Array(size));
    this.spans = widen(this.spans, new Int32Array(4 * size));
    this.nameIds = widen(this.nameIds, new Int32Array(size));
  }

  private nameId(name: string): number {
    let id = this.otherNameIds.get(name);
    if (id === undefined) {
      id = this.otherNames.length;
      this.otherNames.push(name);
      this.otherNameIds.set(name, id);
    }
    return id;
  }

  /** the merged refs, in source order (then by graph), ties in the order met */
  list(): SourceRef[] {
    const merger = new RefMerger(this.lines);
    const spans = this.spans;
    const nameIds = this.nameIds;
    const at = { from: 0, to: 0 };
    const definition = { from: 0, to: 0 };
    for (let k = 0; k < this.count; k++) {
      const flags = this.flags[k]!;
      const graph = this.graphs[k]!;
      at.from = spans[4 * k]!;
      at.to = spans[4 * k + 1]!;
      definition.from = spans[4 * k + 2]!;
      definition.to = spans[4 * k + 3]!;
      merger.add(
        graph < 0 ? undefined : graph,
        KINDS[flags & 7]!,
        nameIds[k]! >= 0 ? this.otherNames[nameIds[k]!]! : this.text.slice(at.from, at.to),
        at,
        definition.from < 0 ? undefined : definition,
        (flags & IS_DEFINITION) !== 0,
        flags & HAS_TENSOR ? this.tensors[k] : undefined,
        flags & HAS_OP ? this.ops[k] : flags & HAS_OP_LIST ? this.opLists.get(k) : undefined,
        (flags & ONCE) !== 0,
      );
    }
    return merger.list();
  }
}
