// The TensorFlow.js frontend: TypeScript / JavaScript text -> FrontendResult.
// Files that never mention a TensorFlow.js package are answered without parsing.
import type { Frontend, FrontendOptions, FrontendResult, OutlineSymbol, SourceRef } from '../frontend';
import type { CoreDiagnostic, Graph } from '../ir';
import { rangeOf } from '../ir';
import { TFJS_CODES } from './codes';
import { evaluateImported, runEntry, runModule, type Extraction } from './extract';
import type { ImportContext } from './localImports';
import { documentPath, readFromDisk, type ReadFile } from '../sourceFiles';
import { buildGraphs, rangeOfNode, refsFor, type BuiltModel } from './graphs';
import { withDocLink } from './docLinks';
import { forgetDocument as forgetTree, initTfjsFrontend, isTfjsFrontendReady, parseDocument, type Dialect } from './parse';
import { copyTree, type SyntaxNode } from './syntax';
import { unreachedModels } from './coverage';

export { initTfjsFrontend, isTfjsFrontendReady } from './parse';

/** the document key keeps its tree (and each function's result) for incremental re-analysis */
export type TfjsOptions = FrontendOptions & {
  /** reads the files that local imports name; an editor may answer from its open documents */
  readonly readFile?: ReadFile;
};

/** TypeScript and JavaScript files, read only where they use TensorFlow.js; the parser is wasm, loaded by `init` */
export const tfjsFrontend: Frontend = {
  name: 'TypeScript',
  languages: ['typescript', 'javascript'],
  languageAliases: { typescriptreact: 'typescript', javascriptreact: 'javascript' },
  fileExtensions: {
    '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript', '.tsx': 'typescript',
    '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascript',
  },
  // 1.6 MB of layer calls took 2.5 s; a 50 MB file 66 s and 2.2 GiB
  maxTextLength: 2 * 2 ** 20,
  lineComment: '//',
  defaultFramework: 'tfjs',
  claims: mentionsTfjs,
  analyze: analyzeTfjs,
  init: initTfjsFrontend,
  isReady: isTfjsFrontendReady,
  forget: forgetDocument,
};

/** everything the frontend knows about one document, for tests and the bench */
export interface TfjsAnalysis extends FrontendResult {
  readonly built: readonly BuiltModel[];
}

const EMPTY: TfjsAnalysis = { graphs: [], diagnostics: [], outline: [], refs: [], blocks: [], built: [] };

/**
 * cheap check: every import form names the package; a page's script that uses the global `tf` of
 * a `<script src=".../tfjs">` tag names none, so a model-making `tf.` call claims the file too
 */
export function mentionsTfjs(text: string): boolean {
  return text.includes('@tensorflow/tfjs') || /\btf\.(sequential|model|layers)\b/.test(text);
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
          doc: 'tfjs.md#nnm300',
        },
      ],
    };
  }
  try {
    const { root, cache } = copyTree(parsed.tree, text, parsed.statements);
    parsed.keepStatements(cache);
    return analyzeTree(root, options);
  } catch (err) {
    // a defect of ours must not take the editor down: say so where the user can see it
    return {
      ...EMPTY,
      diagnostics: [{ range: rangeOf(0, 0, 0, 0), severity: 'info', code: TFJS_CODES.internal, message: `memlens could not analyse this file: ${String(err)}`, doc: 'tfjs.md#nnm309' }],
    };
  } finally {
    parsed.release();
  }
}

/** what one evaluation unit (the top level, or one function) contributed */
interface Part {
  readonly built: readonly BuiltModel[];
  readonly diagnostics: readonly CoreDiagnostic[];
  /** the functions whose bodies ran */
  readonly invoked: ReadonlySet<SyntaxNode>;
}

interface CachedPart {
  readonly row: number;
  readonly fingerprint: string;
  readonly settings: string;
  readonly part: Part;
}

/**
 * Per document: the result of each top-level function evaluated on its own, reused while the
 * function's text, position, the rest of the module and the settings are unchanged.
 */
const partCaches = new Map<string, Map<SyntaxNode, CachedPart>>();

/** drop everything kept for a closed document */
export function forgetDocument(documentKey: string): void {
  forgetTree(documentKey);
  partCaches.delete(documentKey);
}

function toPart(extraction: Extraction, options: TfjsOptions): Part {
  const built = buildGraphs(extraction.models, extraction.tensorNames, options.defaults, options.overrides);
  const notes: CoreDiagnostic[] = extraction.notes.map((note) => ({ range: rangeOfNode(note.node), severity: 'info', code: TFJS_CODES[note.code], message: note.message }));
  return { built: built.models, diagnostics: [...notes, ...built.diagnostics], invoked: extraction.invoked };
}

function analyzeTree(root: SyntaxNode, options: TfjsOptions): TfjsAnalysis {
  const file = documentPath(options.documentKey);
  const read = options.readFile ?? readFromDisk;
  // what the imports read: a function's cached part is stale once an imported file changes
  const reads: string[] = [];
  const recorded: ReadFile = (path) => {
    const text = read(path);
    reads.push(path, text ?? '\u0000');
    return text;
  };
  const imports: ImportContext | undefined = file ? { file, read: recorded, evaluate: evaluateImported, loaded: new Map([[file, 'loading']]) } : undefined;
  const pass = runModule(root, imports);
  const parts: Part[] = [toPart(pass.topLevel, options)];
  const settings = JSON.stringify([options.defaults, options.overrides ?? null, reads]);
  const previous = options.documentKey === undefined ? undefined : partCaches.get(options.documentKey);
  const next = new Map<SyntaxNode, CachedPart>();
  // the step budget ran out in an entry: the ones after it were not evaluated
  let stopped = false;
  for (const entry of pass.entries) {
    const row = entry.statement.startPosition.row;
    const hit = previous?.get(entry.statement);
    if (hit && hit.row === row && hit.fingerprint === pass.fingerprint && hit.settings === settings) {
      parts.push(hit.part);
      next.set(entry.statement, hit);
      continue;
    }
    const r = runEntry(entry, pass.budget);
    const part = toPart(r, options);
    parts.push(part);
    if (!r.complete) {
      stopped = true;
      break;
    }
    next.set(entry.statement, { row, fingerprint: pass.fingerprint, settings, part });
  }
  if (options.documentKey !== undefined) partCaches.set(options.documentKey, next);
  if (pass.complete && !stopped) parts.push(unreachedPart(root, pass.tfNames, parts));
  return assemble(parts);
}

/** the models no evaluation reached, each with a diagnostic (coverage.ts) */
function unreachedPart(root: SyntaxNode, tfNames: ReadonlyMap<string, string>, parts: readonly Part[]): Part {
  const invoked = new Set(parts.flatMap((p) => [...p.invoked]));
  const sites = new Set(parts.flatMap((p) => p.built.map((b) => b.model.site.startIndex)));
  const diagnostics = unreachedModels(root, tfNames, invoked, sites).map(
    (u): CoreDiagnostic => ({ range: rangeOfNode(u.node), severity: 'info', code: TFJS_CODES.unresolved, message: u.message }),
  );
  return { built: [], diagnostics, invoked: new Set() };
}

const refCache = new WeakMap<BuiltModel, SourceRef[]>();

function assemble(parts: readonly Part[]): TfjsAnalysis {
  const diagnostics: CoreDiagnostic[] = [];
  const seen = new Set<string>();
  for (const d of parts.flatMap((p) => p.diagnostics)) {
    const key = `${d.range.start.line}:${d.range.start.character}:${d.code}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(withDocLink(d));
  }
  const ordered = parts.flatMap((p) => p.built).sort((a, b) => a.model.site.startIndex - b.model.site.startIndex || a.model.serial - b.model.serial);
  const graphs: Graph[] = [];
  const refs: SourceRef[] = [];
  for (const b of ordered) {
    if (!b.graph) continue;
    const index = graphs.length;
    graphs.push(b.graph);
    let own = refCache.get(b);
    if (!own) {
      own = refsFor([b], new Map([[b, 0]]));
      refCache.set(b, own);
    }
    for (const r of own) refs.push({ ...r, graph: index });
  }
  const outline: OutlineSymbol[] = graphs.map((g) => ({
    name: g.name,
    kind: 'model',
    range: g.range,
    selectionRange: g.nameRange,
    detail: `${g.ops.length} ops`,
    children: [],
  }));
  return { graphs, diagnostics, outline, refs, blocks: [], built: ordered };
}
