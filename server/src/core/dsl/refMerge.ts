// Merges recorded occurrences (refs.ts) into the refs list. An occurrence inside a block body is
// met once per expansion; all instances merge into one ref per (graph, kind, position).
import type { OpId, SourceRange, TensorId } from '../ir';
import type { SourceRef } from '../frontend';
import type { SourceLines } from './source';

/** a name's start and end keys (source.ts) */
export interface Span {
  readonly from: number;
  readonly to: number;
}

type MutableRef = { -readonly [K in keyof SourceRef]: SourceRef[K] } & { tensors?: TensorId[]; ops?: OpId[] };

export const KINDS: readonly SourceRef['kind'][] = ['tensor', 'op', 'block', 'model', 'parameter', 'config', 'note'];

/** the index of a kind in KINDS (a switch: a lookup per occurrence showed in profiles) */
export function kindIndex(kind: SourceRef['kind']): number {
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
    case 'note':
      return 6;
  }
}

export class RefMerger {
  /** the first merged ref made at each place, keyed by the start of the name (no two names start at one offset) */
  private readonly firstAt = new Map<number, MutableRef>();
  /** the other merged refs: one map per (graph, kind) */
  private readonly tables = new Map<number, Map<number, MutableRef>>();
  private readonly all: MutableRef[] = [];
  /** each ref's sort key (start line, column, graph), read when it is added: list() then reads no scattered ref */
  private keys = new Int32Array(3 * 256);
  /** `[id]` by id, shared by the refs met once (never pushed to: merged refs own their lists) */
  private readonly singles: number[][] = [];

  /**
   * The range of each name by its start (no two names start at one offset): a name's uses and
   * its definition share one range, as the syntax tree's range objects were shared before.
   */
  private readonly rangesAt = new Map<number, SourceRange>();

  constructor(private readonly lines: SourceLines) {}

  private rangeOf(span: Span): SourceRange {
    let range = this.rangesAt.get(span.from);
    if (range === undefined) {
      range = this.lines.range(span.from, span.to);
      this.rangesAt.set(span.from, range);
    }
    return range;
  }

  /** a one-element id list; tensor and op lists share it (a top-level op's id is its output's id) */
  private single(id: number): number[] {
    return (this.singles[id] ??= [id]);
  }

  add(
    graph: number | undefined,
    kind: SourceRef['kind'],
    name: string,
    at: Span,
    definition: Span | undefined,
    isDefinition: boolean,
    tensor?: TensorId,
    ops?: OpId | OpId[],
    /** the occurrence is met once (top level, outside repeat): no merging, no lookup */
    once = false,
  ): void {
    if (once) {
      // the definition, uses and producing call of one tensor share its one-element list
      const tensors = tensor === undefined ? undefined : this.single(tensor);
      const range = this.rangeOf(at);
      this.push(onceRef(range, kind, name, isDefinition, definition && this.rangeOf(definition), graph, tensors, typeof ops === 'number' ? this.single(ops) : ops), range, graph);
      return;
    }
    // most places hold refs of one graph and kind: the first ref made there answers in one lookup
    const place = at.from;
    const first = this.firstAt.get(place);
    let ref = first === undefined ? undefined : first.graph === graph && first.kind === kind ? first : this.tableRef(graph, kind, place);
    if (!ref) {
      const range = this.rangeOf(at);
      ref = { range, kind, name, isDefinition };
      if (definition) ref.definition = this.rangeOf(definition);
      if (graph !== undefined) ref.graph = graph;
      if (first === undefined) this.firstAt.set(place, ref);
      else this.table(graph, kind).set(place, ref);
      this.push(ref, range, graph);
    }
    if (tensor !== undefined) (ref.tensors ??= []).push(tensor);
    if (ops !== undefined) {
      const list = (ref.ops ??= []);
      if (typeof ops === 'number') list.push(ops);
      else for (const o of ops) list.push(o);
    }
  }

  /** the ref of a place that is not the first one made there */
  private tableRef(graph: number | undefined, kind: SourceRef['kind'], place: number): MutableRef | undefined {
    return this.tables.get(tableKey(graph, kind))?.get(place);
  }

  private table(graph: number | undefined, kind: SourceRef['kind']): Map<number, MutableRef> {
    const key = tableKey(graph, kind);
    let table = this.tables.get(key);
    if (!table) {
      table = new Map();
      this.tables.set(key, table);
    }
    return table;
  }

  private push(ref: MutableRef, range: SourceRange, graph: number | undefined): void {
    const at = 3 * this.all.length;
    this.all.push(ref);
    let keys = this.keys;
    if (at + 3 > keys.length) {
      keys = new Int32Array(2 * keys.length);
      keys.set(this.keys);
      this.keys = keys;
    }
    keys[at] = range.start.line;
    keys[at + 1] = range.start.character;
    keys[at + 2] = graph ?? -1;
  }

  /**
   * In source order (then by graph), ties in the order met. The sort keys are copied into typed
   * arrays; a stable counting sort by line, then each line's few refs by column and graph:
   * linear, where one comparison sort of every ref was not.
   */
  list(): SourceRef[] {
    const all = this.all;
    const keys = this.keys;
    const n = all.length;
    const lines = new Int32Array(n);
    const columns = new Int32Array(n);
    const graphs = new Int32Array(n);
    let maxLine = 0;
    for (let k = 0; k < n; k++) {
      const line = keys[3 * k]!;
      lines[k] = line;
      columns[k] = keys[3 * k + 1]!;
      graphs[k] = keys[3 * k + 2]!;
      if (line > maxLine) maxLine = line;
    }
    const lineStart = new Int32Array(maxLine + 2);
    for (let k = 0; k < n; k++) lineStart[lines[k]! + 1]!++;
    for (let l = 1; l <= maxLine + 1; l++) lineStart[l]! += lineStart[l - 1]!;
    const order = new Int32Array(n);
    const fill = lineStart.slice(0, maxLine + 1);
    for (let k = 0; k < n; k++) order[fill[lines[k]!]!++] = k;
    for (let l = 0; l <= maxLine; l++) {
      // insertion sort of the line's refs: stable, and a line holds a handful
      const from = lineStart[l]!;
      const to = lineStart[l + 1]!;
      if (to - from > 32) {
        const sorted = Array.from(order.subarray(from, to)).sort((a, b) => columns[a]! - columns[b]! || graphs[a]! - graphs[b]!);
        order.set(sorted, from);
        continue;
      }
      for (let k = from + 1; k < to; k++) {
        const x = order[k]!;
        let j = k - 1;
        while (j >= from && (columns[order[j]!]! > columns[x]! || (columns[order[j]!]! === columns[x]! && graphs[order[j]!]! > graphs[x]!))) {
          order[j + 1] = order[j]!;
          j--;
        }
        order[j + 1] = x;
      }
    }
    const out: SourceRef[] = all.slice();
    for (let k = 0; k < n; k++) out[k] = all[order[k]!]!;
    return out;
  }
}

function tableKey(graph: number | undefined, kind: SourceRef['kind']): number {
  return ((graph ?? -1) + 1) * KINDS.length + kindIndex(kind);
}

/**
 * A ref built whole in the shapes top-level statements make (an object given more properties
 * after it is made grows a second store); absent fields stay absent, not undefined.
 */
function onceRef(
  range: SourceRange,
  kind: SourceRef['kind'],
  name: string,
  isDefinition: boolean,
  definition: SourceRange | undefined,
  graph: number | undefined,
  tensors: TensorId[] | undefined,
  ops: OpId[] | undefined,
): MutableRef {
  if (graph !== undefined && ops === undefined) {
    if (definition && tensors !== undefined) return { range, kind, name, isDefinition, definition, graph, tensors };
    if (definition && tensors === undefined) return { range, kind, name, isDefinition, definition, graph };
  }
  if (graph !== undefined && !definition && tensors !== undefined && ops !== undefined) {
    return { range, kind, name, isDefinition, graph, tensors, ops };
  }
  const ref: MutableRef = { range, kind, name, isDefinition };
  if (definition) ref.definition = definition;
  if (graph !== undefined) ref.graph = graph;
  if (tensors !== undefined) ref.tensors = tensors;
  if (ops !== undefined) ref.ops = ops;
  return ref;
}
