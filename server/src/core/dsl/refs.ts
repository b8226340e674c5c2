// Collects resolved identifier occurrences and calls. An occurrence inside a block body is
// met once per expansion; all instances merge into one ref per (graph, kind, position).
import type { OpId, SourceRange, TensorId } from '../ir';
import type { SourceRef } from '../document';

class MutableRef {
  tensors: TensorId[] | undefined = undefined;
  ops: OpId[] | undefined = undefined;
  constructor(
    readonly range: SourceRange,
    readonly kind: SourceRef['kind'],
    readonly name: string,
    readonly definition: SourceRange | undefined,
    readonly isDefinition: boolean,
    readonly graph: number | undefined,
  ) {}
}

const KINDS: readonly SourceRef['kind'][] = ['tensor', 'op', 'block', 'model', 'parameter', 'config'];

export class RefCollector {
  /** one map per (graph, kind), keyed by the occurrence's range object */
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
    ops?: OpId | readonly OpId[],
  ): void {
    const tableKey = ((graph ?? -1) + 1) * KINDS.length + KINDS.indexOf(kind);
    let table = this.tables.get(tableKey);
    if (!table) {
      table = new Map();
      this.tables.set(tableKey, table);
    }
    // every AST node owns its range object: identity is the position
    let ref = table.get(range);
    if (!ref) {
      ref = new MutableRef(range, kind, name, definition, isDefinition, graph);
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

  /** in source order */
  list(): SourceRef[] {
    const refs = this.all.slice();
    refs.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || (a.graph ?? -1) - (b.graph ?? -1));
    return refs.map((r) => {
      const out: { -readonly [K in keyof SourceRef]: SourceRef[K] } = { range: r.range, kind: r.kind, name: r.name, isDefinition: r.isDefinition };
      if (r.definition) out.definition = r.definition;
      if (r.graph !== undefined) out.graph = r.graph;
      if (r.tensors) out.tensors = r.tensors;
      if (r.ops) out.ops = r.ops;
      return out;
    });
  }
}
