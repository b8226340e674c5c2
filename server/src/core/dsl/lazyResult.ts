// The frontend's result with refs and outline built on their first read: own enumerable getters
// (spreads, JSON and analyzeGraphs' copy see them) shared by every result (core/getters.ts says
// why getters written in an object literal kept whole analyses alive).
import type { FrontendResult, OutlineSymbol, SourceRef, BlockInfo } from '../frontend';
import type { CoreDiagnostic, Graph } from '../ir';
import type { OutlineSketch } from './outline';
import type { RefCollector } from './refs';
import { withGetters } from '../getters';

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

export function lazyFrontendResult(
  graphs: readonly Graph[],
  diagnostics: readonly CoreDiagnostic[],
  blocks: readonly BlockInfo[],
  refs: RefCollector,
  sketch: OutlineSketch,
): FrontendResult {
  const parts = new LazyParts(refs, sketch, graphs);
  // keys in the order of the eager result: graphs, diagnostics, outline, refs, blocks
  const result = withGetters({ graphs, diagnostics } as { graphs: readonly Graph[]; diagnostics: readonly CoreDiagnostic[]; blocks?: readonly BlockInfo[] }, {
    outline: (): OutlineSymbol[] => parts.outline(),
    refs: (): SourceRef[] => parts.refs(),
  });
  result.blocks = blocks;
  return result as unknown as FrontendResult;
}
