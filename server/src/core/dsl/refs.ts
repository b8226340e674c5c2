// Collects resolved identifier occurrences and calls. An occurrence inside a block body is
// met once per expansion; all instances merge into one ref per (graph, kind, position).
import type { OpId, SourceRange, TensorId } from '../ir';
import type { SourceRef } from '../document';

type MutableRef = { -readonly [K in keyof SourceRef]: SourceRef[K] } & { tensors?: TensorId[]; ops?: OpId[] };

const KINDS: readonly SourceRef['kind'][] = ['tensor', 'op', 'block', 'model', 'parameter', 'config'];

export class RefCollector {
  /** one map per (graph, kind), keyed by the occurrence's range object (every AST node owns its own) */
  private readonly tables = new Map<number, Map<SourceRange, MutableRef>>();
  private readonly all: MutableRef[] = [];

  add(
    graph: number | undefined,
    kind: SourceRef['kind'],
    name: string,
    range: SourceRange,
    definition: SourceRange | undefined,
    isDefinition: boolean,
    tensor?: TensorId,
    ops?: OpId | OpId[],
    /** the occurrence is met once (top level, outside repeat): no merging, no lookup */
    once = false,
  ): void {
    if (once) {
      this.all.push(onceRef(range, kind, name, isDefinition, definition, graph, tensor, ops));
      return;
    }
    const tableKey = ((graph ?? -1) + 1) * KINDS.length + KINDS.indexOf(kind);
    let table = this.tables.get(tableKey);
    if (!table) {
      table = new Map();
      this.tables.set(tableKey, table);
    }
    let ref = table.get(range);
    if (!ref) {
      ref = { range, kind, name, isDefinition };
      if (definition) ref.definition = definition;
      if (graph !== undefined) ref.graph = graph;
      table.set(range, ref);
      this.all.push(ref);
    }
    if (tensor !== undefined) (ref.tensors ??= []).push(tensor);
    if (ops !== undefined) {
      const list = (ref.ops ??= []);
      if (typeof ops === 'number') list.push(ops);
      else for (const o of ops) list.push(o);
    }
  }

  /**
   * In source order (then by graph), ties in the order met. A stable counting sort by line, then
   * each line's few refs by column: linear, where one comparison sort of every ref was not.
   */
  list(): SourceRef[] {
    const all = this.all;
    let maxLine = 0;
    for (const r of all) if (r.range.start.line > maxLine) maxLine = r.range.start.line;
    const firstOfLine = new Int32Array(maxLine + 2);
    for (const r of all) firstOfLine[r.range.start.line + 1]!++;
    for (let l = 1; l <= maxLine + 1; l++) firstOfLine[l]! += firstOfLine[l - 1]!;
    const out = new Array<SourceRef>(all.length);
    const fill = firstOfLine.slice(0, maxLine + 1);
    for (const r of all) out[fill[r.range.start.line]!++] = r;
    for (let l = 0; l <= maxLine; l++) sortLine(out, firstOfLine[l]!, firstOfLine[l + 1]!);
    return out;
  }
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
  tensor: TensorId | undefined,
  ops: OpId | OpId[] | undefined,
): MutableRef {
  if (graph !== undefined && ops === undefined) {
    if (definition && tensor !== undefined) return { range, kind, name, isDefinition, definition, graph, tensors: [tensor] };
    if (definition && tensor === undefined) return { range, kind, name, isDefinition, definition, graph };
  }
  if (graph !== undefined && !definition && tensor !== undefined && ops !== undefined) {
    return { range, kind, name, isDefinition, graph, tensors: [tensor], ops: typeof ops === 'number' ? [ops] : ops };
  }
  const ref: MutableRef = { range, kind, name, isDefinition };
  if (definition) ref.definition = definition;
  if (graph !== undefined) ref.graph = graph;
  if (tensor !== undefined) ref.tensors = [tensor];
  if (ops !== undefined) ref.ops = typeof ops === 'number' ? [ops] : ops;
  return ref;
}

function compareInLine(a: SourceRef, b: SourceRef): number {
  return a.range.start.character - b.range.start.character || (a.graph ?? -1) - (b.graph ?? -1);
}

/** stable sort of out[from, to) by column then graph: insertion sort for the usual handful */
function sortLine(out: SourceRef[], from: number, to: number): void {
  if (to - from < 2) return;
  if (to - from > 32) {
    const sorted = out.slice(from, to).sort(compareInLine);
    for (let k = 0; k < sorted.length; k++) out[from + k] = sorted[k]!;
    return;
  }
  for (let k = from + 1; k < to; k++) {
    const r = out[k]!;
    let j = k - 1;
    while (j >= from && compareInLine(out[j]!, r) > 0) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = r;
  }
}
