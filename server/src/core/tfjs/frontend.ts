// The TensorFlow.js frontend: TypeScript / JavaScript text -> FrontendResult.
// Files that never mention a TensorFlow.js package are answered without parsing.
import type { ConfigOverrides } from '../config';
import type { FrontendResult, OutlineSymbol } from '../document';
import type { CoreDiagnostic, Graph, ModelConfig } from '../ir';
import { rangeOf } from '../ir';
import { TFJS_CODES } from './codes';
import { extractModels } from './extract';
import { buildGraphs, rangeOfNode, refsFor, type BuiltModel } from './graphs';
import { parseDocument, type Dialect } from './parse';

export { initTfjsFrontend, isTfjsFrontendReady, forgetDocument } from './parse';

export interface TfjsOptions {
  readonly defaults: ModelConfig;
  readonly overrides?: ConfigOverrides;
  /** the document's URI or path: keeps its tree for incremental re-parsing */
  readonly documentKey?: string;
  readonly language: 'typescript' | 'javascript';
}

/** everything the frontend knows about one document, for tests and the bench */
export interface TfjsAnalysis extends FrontendResult {
  readonly built: readonly BuiltModel[];
}

const EMPTY: TfjsAnalysis = { graphs: [], diagnostics: [], outline: [], refs: [], blocks: [], built: [] };

/** cheap check: every import form names the package */
export function mentionsTfjs(text: string): boolean {
  return text.includes('@tensorflow/tfjs');
}

function dialectOf(options: TfjsOptions): Dialect {
  const key = options.documentKey ?? '';
  if (/\.(tsx|jsx)$/i.test(key)) return 'tsx';
  // plain JavaScript has no `<T>expr` casts, so the TSX grammar also accepts JSX in .js files
  return options.language === 'javascript' ? 'tsx' : 'typescript';
}

export function analyzeTfjs(text: string, options: TfjsOptions): TfjsAnalysis {
  if (!mentionsTfjs(text)) return EMPTY;
  const parsed = parseDocument(text, dialectOf(options), options.documentKey);
  if (!parsed) {
    return {
      ...EMPTY,
      diagnostics: [
        {
          range: rangeOf(0, 0, 0, 0),
          severity: 'info',
          code: TFJS_CODES.notReady,
          message: 'memlens is still loading its TypeScript parser; TensorFlow.js models will be analysed on the next change',
        },
      ],
    };
  }
  try {
    return analyzeTree(parsed.tree.rootNode, text, options);
  } catch (err) {
    // a defect of ours must not take the editor down: say so where the user can see it
    return {
      ...EMPTY,
      diagnostics: [{ range: rangeOf(0, 0, 0, 0), severity: 'info', code: TFJS_CODES.internal, message: `memlens could not analyse this file: ${String(err)}` }],
    };
  } finally {
    parsed.release();
  }
}

function analyzeTree(root: Parameters<typeof extractModels>[0], text: string, options: TfjsOptions): TfjsAnalysis {
  const extraction = extractModels(root, text);
  const built = buildGraphs(extraction.models, extraction.tensorNames, options.defaults, options.overrides);
  const diagnostics: CoreDiagnostic[] = [];
  const seen = new Set<string>();
  const push = (d: CoreDiagnostic): void => {
    const key = `${d.range.start.line}:${d.range.start.character}:${d.code}:${d.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    diagnostics.push(d);
  };
  for (const note of extraction.notes) {
    push({ range: rangeOfNode(note.node), severity: 'info', code: TFJS_CODES[note.code], message: note.message });
  }
  for (const d of built.diagnostics) push(d);
  const graphs: Graph[] = [];
  const index = new Map<BuiltModel, number>();
  const ordered = [...built.models].sort((a, b) => a.model.site.startIndex - b.model.site.startIndex || a.model.serial - b.model.serial);
  for (const b of ordered) {
    if (!b.graph) continue;
    index.set(b, graphs.length);
    graphs.push(b.graph);
  }
  const outline: OutlineSymbol[] = graphs.map((g) => ({
    name: g.name,
    kind: 'model',
    range: g.range,
    selectionRange: g.nameRange,
    detail: `${g.ops.length} ops`,
    children: [],
  }));
  return { graphs, diagnostics, outline, refs: refsFor(ordered, index), blocks: [], built: ordered };
}
