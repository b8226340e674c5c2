// Collects resolved identifier occurrences and calls while a model elaborates. Only hover,
// definition, references and completion read the refs, on request: an occurrence is recorded as
// the arguments of `add` in rows of numbers, and merged into refs (refMerge.ts) on the first `list()`.
import type { OpId, TensorId } from '../ir';
import type { SourceRef } from '../frontend';
import { KINDS, kindIndex, RefMerger, type Span } from './refMerge';
import type { SourceLines } from './source';

/** FLAGS field: kind index in the low 3 bits */
const IS_DEFINITION = 8;
const ONCE = 16;
const HAS_TENSOR = 32;
/** `ops` was one id (in the OP field); a list is kept in `opLists` */
const HAS_OP = 64;
const HAS_OP_LIST = 128;

/**
 * Fields of an occurrence's row: graph (-1: none), flags, tensor, op, the start and end keys
 * (source.ts) of the name met and of its definition (-1: none), and the name's id in `otherNames`
 * (-1: the name is the source text at the span, read back in list()). No node is kept.
 */
const GRAPH = 0;
const FLAGS = 1;
const TENSOR = 2;
const OP = 3;
const FROM = 4;
const TO = 5;
const DEF_FROM = 6;
const DEF_TO = 7;
const NAME = 8;
const STRIDE = 9;

export class RefCollector {
  private count = 0;
  /** one array for every field: a typed array per field, made per analysis of a small file, cost more than the file */
  private rows: Int32Array;
  /** names that are not the source text of their span (an op's canonical name: `linear` is `dense`) */
  private readonly otherNames: string[] = [];
  private readonly otherNameIds = new Map<string, number>();
  private readonly opLists = new Map<number, OpId[]>();

  constructor(
    private readonly text: string,
    private readonly lines: SourceLines,
  ) {
    // about one occurrence per 8 characters of a model: a large file's rows are not grown from few
    let size = 64;
    while (size < text.length / 8) size *= 2;
    this.rows = new Int32Array(STRIDE * size);
  }

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
    if (STRIDE * (k + 1) > this.rows.length) this.grow();
    const rows = this.rows;
    const row = STRIDE * k;
    let flags = kindIndex(kind);
    if (isDefinition) flags |= IS_DEFINITION;
    if (once) flags |= ONCE;
    if (tensor !== undefined) {
      flags |= HAS_TENSOR;
      rows[row + TENSOR] = tensor;
    }
    if (typeof ops === 'number') {
      flags |= HAS_OP;
      rows[row + OP] = ops;
    } else if (ops !== undefined) {
      flags |= HAS_OP_LIST;
      this.opLists.set(k, ops);
    }
    rows[row + GRAPH] = graph ?? -1;
    rows[row + FLAGS] = flags;
    rows[row + FROM] = at.from;
    rows[row + TO] = at.to;
    rows[row + DEF_FROM] = definition ? definition.from : -1;
    rows[row + DEF_TO] = definition ? definition.to : -1;
    rows[row + NAME] = kind === 'op' ? this.nameId(name) : -1;
  }

  private grow(): void {
    const rows = new Int32Array(2 * this.rows.length);
    rows.set(this.rows);
    this.rows = rows;
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
    const rows = this.rows;
    const at = { from: 0, to: 0 };
    const definition = { from: 0, to: 0 };
    for (let k = 0; k < this.count; k++) {
      const row = STRIDE * k;
      const flags = rows[row + FLAGS]!;
      const graph = rows[row + GRAPH]!;
      const nameId = rows[row + NAME]!;
      at.from = rows[row + FROM]!;
      at.to = rows[row + TO]!;
      definition.from = rows[row + DEF_FROM]!;
      definition.to = rows[row + DEF_TO]!;
      merger.add(
        graph < 0 ? undefined : graph,
        KINDS[flags & 7]!,
        nameId >= 0 ? this.otherNames[nameId]! : this.text.slice(at.from, at.to),
        at,
        definition.from < 0 ? undefined : definition,
        (flags & IS_DEFINITION) !== 0,
        flags & HAS_TENSOR ? rows[row + TENSOR] : undefined,
        flags & HAS_OP ? rows[row + OP] : flags & HAS_OP_LIST ? this.opLists.get(k) : undefined,
        (flags & ONCE) !== 0,
      );
    }
    return merger.list();
  }
}
