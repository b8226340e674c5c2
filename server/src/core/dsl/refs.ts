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
      const ref: MutableRef = { range, kind, name, isDefinition };
      if (definition) ref.definition = definition;
      if (graph !== undefined) ref.graph = graph;
      if (tensor !== undefined) ref.tensors = [tensor];
      if (ops !== undefined) ref.ops = typeof ops === 'number' ? [ops] : ops;
      this.all.push(ref);
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

  /** in source order (then by graph) */
  list(): SourceRef[] {
    return this.all.slice().sort(compareRefs);
  }
}

function compareRefs(a: SourceRef, b: SourceRef): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || (a.graph ?? -1) - (b.graph ?? -1);
}
