// The frontend's result with refs and outline built on their first read. They are own enumerable
// accessors (spreads, JSON and analyzeGraphs' copy see them) whose getter functions are shared by
// every result and find the result's state under a symbol. Getters written in an object literal
// are new closures per result, and give each result a hidden class of its own that keeps the
// whole analysis (tree, graphs) alive until a full collection: every minor collection then copied
// the recent analyses (resnet50 analysed in a loop ran 30% slower).
import type { FrontendResult, OutlineSymbol, SourceRef, BlockInfo } from '../document';
import type { CoreDiagnostic, Graph } from '../ir';
import type { OutlineSketch } from './outline';
import type { RefCollector } from './refs';

const PARTS = Symbol('nnm lazy parts');

/** what the refs and the outline are built from, and each once built */
class LazyParts {
  private refList: SourceRef[] | undefined;
  private outlineList: OutlineSymbol[] | undefined;

  constructor(
    private readonly collector: RefCollector,
    private readonly sketch: OutlineSketch,
    private readonly graphs: readonly Graph[],
  ) {}

  refs(): SourceRef[] {
    return (this.refList ??= this.collector.list());
  }

  outline(): OutlineSymbol[] {
    return (this.outlineList ??= this.sketch.build(this.graphs));
  }
}

interface Holder {
  readonly [PARTS]: LazyParts;
}

function readOutline(this: Holder): OutlineSymbol[] {
  return this[PARTS].outline();
}

function readRefs(this: Holder): SourceRef[] {
  return this[PARTS].refs();
}

/** one descriptor object for every result: the same getters, so results share their hidden class */
const ACCESSORS: PropertyDescriptorMap = {
  outline: { get: readOutline, enumerable: true, configurable: true },
  refs: { get: readRefs, enumerable: true, configurable: true },
};

export function lazyFrontendResult(
  graphs: readonly Graph[],
  diagnostics: readonly CoreDiagnostic[],
  blocks: readonly BlockInfo[],
  refs: RefCollector,
  sketch: OutlineSketch,
): FrontendResult {
  // keys in the order of the eager result: graphs, diagnostics, outline, refs, blocks
  const result: { graphs: readonly Graph[]; diagnostics: readonly CoreDiagnostic[]; blocks?: readonly BlockInfo[] } = { graphs, diagnostics };
  Object.defineProperties(result, ACCESSORS);
  Object.defineProperty(result, PARTS, { value: new LazyParts(refs, sketch, graphs) });
  result.blocks = blocks;
  return result as unknown as FrontendResult;
}
