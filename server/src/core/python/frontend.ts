// The Python frontend: PyTorch and Keras models in .py files -> FrontendResult, by static evaluation.
// Files that import neither torch nor Keras are answered without parsing.
import type { ShardingCall } from './distributed';
import { mergeConfig, type ConfigOverrides } from '../config';
import type { Frontend, FrontendOptions, FrontendResult, OutlineSymbol, SourceRef } from '../frontend';
import { rangeOf, type CoreDiagnostic, type Graph, type ModelConfig, type OpId, type SourceRange, type TensorId } from '../ir';
import { rangeOfNode } from '../tfjs/graphs';
import { forgetDocument, initTfjsFrontend, isTfjsFrontendReady, parseDocument } from '../tfjs/parse';
import { copyTree, type SyntaxNode as Node } from '../tfjs/syntax';
import { PY_CODES } from './codes';
import { conversionDiagnostics } from './conversions';
import { Interpreter, StepLimit } from './interpreter';
import { collectModules, countParameters } from './modules';
import type { Trace } from './trace';
import { PYTHON_SKIPPED } from './imports';
import { documentPath, readFromDisk, type ReadFile } from '../sourceFiles';
import { findPragmas, pragmaInputs, type Pragma } from './pragma';
import { groupStatements } from './groups';
import { TorchHost } from './torchHost';
import { KerasHost, mentionsKeras } from './kerasHost';
import { kerasGraphs } from './kerasModels';
import type { PythonAnalysis } from './analysis';
import { pythonFixEdits } from './fixes';
import { Scope, type Instance, type ModuleState } from './values';


/** evaluation steps per group of statements (ResNet-152 from torchvision takes about 12,000): a loop or recursion beyond it stops with NNM404 */
const MAX_STEPS = 300_000;

export const DEFAULT_TORCH_VERSION = '2.5';

/**
 * every import form names the package: `import torch`, `from torch import nn`, `from tensorflow
 * import keras`, `import keras`; or torch arrives through a wildcard import of a local module
 * (`from .unet_parts import *`) and the file uses it (`nn.Module`, `torch.`)
 */
export function mentionsPythonFramework(text: string): boolean {
  if (/^\s*(import|from)\s+(torch|keras|tensorflow)\b/m.test(text)) return true;
  return /^\s*from\s+[\w.]+\s+import\s+\*/m.test(text) && /\b(nn\.[A-Z]\w*|torch\.\w+)/.test(text);
}

export interface PythonOptions {
  readonly defaults: ModelConfig;
  readonly overrides?: ConfigOverrides;
  readonly documentKey?: string;
  readonly torchVersion?: string;
  /** reads an imported file (an editor answers from its open documents first); default: the disk */
  readonly readFile?: ReadFile;
  /** evaluate the file as one group, in one pass (what groups must agree with: the tests' reference) */
  readonly ungrouped?: boolean;
}


const EMPTY: PythonAnalysis = { graphs: [], diagnostics: [], outline: [], refs: [], blocks: [], traces: [], modules: [] };

export function analyzePython(text: string, options: PythonOptions): PythonAnalysis {
  if (!mentionsPythonFramework(text)) return EMPTY;
  const parsed = parseDocument(text, 'python', options.documentKey);
  if (!parsed) {
    return { ...EMPTY, diagnostics: [{ range: rangeOf(0, 0, 0, 0), severity: 'info', code: PY_CODES.notReady, message: 'memlens is still loading its Python parser; the models will be analysed on the next change' }] };
  }
  try {
    const { root, cache } = copyTree(parsed.tree, text, parsed.statements, PYTHON_SKIPPED);
    parsed.keepStatements(cache);
    return evaluateGroups(root, text, options);
  } catch (err) {
    return { ...EMPTY, diagnostics: [{ range: rangeOf(0, 0, 0, 0), severity: 'info', code: PY_CODES.internal, message: `memlens could not analyse this file: ${String(err)}` }] };
  } finally {
    parsed.release();
  }
}

/**
 * Each group of statements that cannot affect the others (groups.ts) is evaluated on its own, and
 * its result kept for the document's next version: a keystroke re-evaluates only the group whose
 * statements it changed (a statement's copy is reused by copyTree when its text is unchanged).
 */
function evaluateGroups(root: Node, text: string, options: PythonOptions): PythonAnalysis {
  const statements = root.namedChildren.filter((c) => c.type !== 'comment');
  const pragmas = findPragmas(root, text);
  const groups = options.ungrouped ? [{ indices: statements.map((_, i) => i) }] : groupStatements(statements, new Set(pragmas.map((p) => p.className)));
  const memo = options.documentKey ? documentMemo(options.documentKey, optionsKey(options)) : undefined;
  const read = options.readFile ?? readFromDisk;
  const keras = mentionsKeras(text);
  const kept = new Map<string, Fragment>();
  const fragments = groups.map((g) => {
    const members = g.indices.map((i) => statements[i]!);
    const own = pragmas.filter((p) => members.includes(topStatement(p.classNode)));
    const key = groupKey(members, own);
    let fragment = memo?.fragments.get(key);
    if (fragment && ![...fragment.reads].every(([path, was]) => read(path) === was)) fragment = undefined;
    fragment ??= evaluate(root, keras, members, own, options, read);
    kept.set(key, fragment);
    return fragment;
  });
  if (memo) memo.fragments = kept;
  return fragments.length === 1 ? fragments[0]!.analysis : mergeFragments(fragments.map((f) => f.analysis));
}

interface Fragment {
  readonly analysis: PythonAnalysis;
  /** the files its imports read, with what they held: a change there re-evaluates the group */
  readonly reads: ReadonlyMap<string, string | undefined>;
}

interface DocumentMemo {
  readonly options: string;
  fragments: Map<string, Fragment>;
}

/** each open document's group results (a few dozen documents; the oldest goes first) */
const memos = new Map<string, DocumentMemo>();
const MAX_MEMOS = 32;

function documentMemo(documentKey: string, options: string): DocumentMemo {
  let memo = memos.get(documentKey);
  memos.delete(documentKey);
  if (!memo || memo.options !== options) memo = { options, fragments: new Map() };
  memos.set(documentKey, memo);
  if (memos.size > MAX_MEMOS) memos.delete(memos.keys().next().value!);
  return memo;
}

export function forgetPythonDocument(documentKey: string): void {
  memos.delete(documentKey);
  forgetDocument(documentKey);
}

function optionsKey(options: PythonOptions): string {
  return JSON.stringify([options.defaults, options.overrides ?? null, options.torchVersion ?? DEFAULT_TORCH_VERSION]);
}

/** statement copies are numbered once: a reused copy keeps its number, an edited statement gets a new copy */
const copyIds = new WeakMap<Node, number>();
let nextCopyId = 0;
function copyId(node: Node): number {
  let id = copyIds.get(node);
  if (id === undefined) copyIds.set(node, (id = nextCopyId++));
  return id;
}

/** which copies, at which rows (a result holds ranges), and the pragmas the group answers */
function groupKey(members: readonly Node[], pragmas: readonly Pragma[]): string {
  const parts = members.map((m) => `${copyId(m)}@${m.startPosition.row}`);
  for (const p of pragmas) parts.push(`p${copyId(p.comment)}@${p.comment.startPosition.row}:${p.comment.text}`);
  return parts.join(' ');
}

function topStatement(node: Node): Node {
  let n = node;
  while (n.parent && n.parent.parent) n = n.parent;
  return n;
}

/** the groups' results as one, in group order; each graph's refs keep pointing at it */
function mergeFragments(parts: readonly PythonAnalysis[]): PythonAnalysis {
  const graphs: Graph[] = [];
  const refs: SourceRef[] = [];
  for (const part of parts) {
    const offset = graphs.length;
    graphs.push(...part.graphs);
    for (const r of part.refs) refs.push(offset === 0 || r.graph === undefined ? r : { ...r, graph: r.graph + offset });
  }
  return {
    graphs,
    diagnostics: dedupe(parts.flatMap((p) => p.diagnostics)),
    outline: parts.flatMap((p) => p.outline),
    refs,
    blocks: [],
    traces: parts.flatMap((p) => p.traces),
    modules: parts.flatMap((p) => p.modules),
    kerasBatchSites: parts.flatMap((p) => p.kerasBatchSites ?? []),
    strategySites: parts.flatMap((p) => p.strategySites ?? []),
  };
}

function evaluate(root: Node, usesKeras: boolean, statements: readonly Node[], pragmas: readonly Pragma[], options: PythonOptions, read: ReadFile): Fragment {
  const file = documentPath(options.documentKey);
  const reads = new Map<string, string | undefined>();
  const readFile: ReadFile = (path) => {
    const t = read(path);
    reads.set(path, t);
    return t;
  };
  const host = new TorchHost({ defaults: options.defaults, torchVersion: options.torchVersion ?? DEFAULT_TORCH_VERSION, ...(file ? { file } : {}), readFile });
  const keras = usesKeras ? new KerasHost(host) : undefined;
  const interp = new Interpreter(keras ?? host, MAX_STEPS);
  host.attach(interp);
  keras?.attach(interp);
  const diagnostics: CoreDiagnostic[] = [];
  const scope = new Scope(undefined);
  try {
    interp.execBlock(statements, scope);
    // classes with a `# memlens: input [...]` pragma and no example call of their own
    for (const pragma of pragmas) {
      const cls = scope.vars.get(pragma.className);
      if (cls?.kind !== 'class' || host.traces.some((t) => t.root.cls === cls)) continue;
      const inputs = pragmaInputs(pragma, diagnostics);
      if (!inputs) continue;
      const built = pragma.build ? interp.eval(pragma.build, scope) : host.construct(cls, { positional: [], keywords: new Map() }, pragma.classNode);
      if (built.kind !== 'instance' || !built.module) {
        diagnostics.push({ range: rangeOfNode(pragma.comment), severity: 'info', code: PY_CODES.unresolved, message: `memlens cannot build ${pragma.className} for the pragma: ${built.kind === 'unknown' ? built.reason : 'not a module'}` });
        continue;
      }
      host.pragmaTrace(built as Instance & { module: ModuleState }, inputs, pragma.classNode, pragma.comment);
    }
  } catch (err) {
    if (!(err instanceof StepLimit)) throw err;
    diagnostics.push({ range: rangeOf(0, 0, 0, 0), severity: 'info', code: PY_CODES.limit, message: `memlens stopped evaluating these statements after ${MAX_STEPS.toLocaleString('en-US')} steps; the models found before are shown` });
  }
  for (const e of host.errors) if (e.node.anchor.doc === root.anchor.doc) diagnostics.push({ range: rangeOfNode(e.node), severity: 'error', code: PY_CODES.shape, message: e.message });
  // notes on imported files belong to those files' own analysis
  for (const n of interp.notes) if (n.node.anchor.doc === root.anchor.doc) diagnostics.push({ range: rangeOfNode(n.node), severity: 'info', code: PY_CODES.unresolved, message: n.message });

  // each module tree walked once: the counts, and which modules sit inside another (a backbone is part of its model)
  const trees = new Map<Instance, Instance[]>();
  const treeOf = (m: Instance): Instance[] => {
    let t = trees.get(m);
    if (!t) trees.set(m, (t = collectModules(m).map((e) => e.module)));
    return t;
  };
  const poisonOf = (m: Instance): { node: Node; reason: string } | undefined => treeOf(m).map((e) => host.poisoned.get(e)).find((p) => p);
  const graphs: Graph[] = [];
  const refs: SourceRef[] = [];
  const strategySites: { model: string; name: Node }[] = [];
  const traced = new Set<Instance>();
  for (const trace of host.traces) {
    traced.add(trace.root);
    if (trace.stopped) {
      const stop = trace.stopped;
      const counts = countParameters(trace.root);
      const poisoned = poisonOf(trace.root);
      const local = trace.isLocal(stop.node);
      const where = local ? '' : ` (line ${stop.node.startPosition.row + 1} of an imported file)`;
      diagnostics.push({
        range: rangeOfNode(local ? stop.node : trace.callSite),
        severity: stop.isError ? 'error' : 'info',
        code: stop.isError ? PY_CODES.shape : PY_CODES.unresolved,
        // a figure is exact or absent: a model holding a part memlens does not model gets no count
        message: poisoned ? `model '${trace.name}': ${stop.reason}${where}; its parameters and activations are not known` : `model '${trace.name}': ${stop.reason}${where}. ${paramsSentence(counts)}; its activations are not analysed`,
      });
      continue;
    }
    const config = modelConfig(trace, host, options);
    const graph = trace.build(config);
    const strategy = wrapperOf(trace, host)?.strategyName;
    if (strategy) strategySites.push({ model: trace.name, name: strategy });
    diagnostics.push(...conversionDiagnostics(trace, host.converted, graph, config, root));
    const index = graphs.length;
    graphs.push(graph);
    for (const r of refsOf(trace, graph, index)) refs.push(r);
  }
  const counted = new Map<Instance, ReturnType<typeof countParameters>>();
  const built = host.built.filter((b) => b.scope.parent === undefined || b.scope.functionName !== undefined);
  const modules = built.map((b) => {
    let counts = counted.get(b.instance);
    if (!counts) counted.set(b.instance, (counts = countParameters(b.instance)));
    const poisoned = poisonOf(b.instance);
    return { name: b.scope.functionName ? `${b.scope.functionName}.${b.nameNode.text}` : b.nameNode.text, instance: b.instance, counts, ...(poisoned ? { unknown: poisoned.reason } : {}) };
  });
  const nested = new Set([...host.traces.map((t) => t.root), ...built.map((b) => b.instance)].flatMap((m) => treeOf(m).slice(1)));
  const reported = new Set<Instance>();
  built.forEach((b, i) => {
    const m = modules[i]!;
    // an instance of a class whose pragma gave it a graph is analysed there
    const viaPragma = host.traces.some((t) => t.root.cls === m.instance.cls && !traced.has(m.instance) && t.root !== m.instance);
    if (traced.has(m.instance) || nested.has(m.instance) || reported.has(m.instance) || viaPragma) return;
    reported.add(m.instance);
    const poisoned = poisonOf(m.instance);
    const site = b.nameNode;
    diagnostics.push({
      range: rangeOfNode(site),
      severity: 'info',
      code: poisoned ? PY_CODES.unresolved : PY_CODES.noInput,
      message: poisoned
        ? `model '${m.name}': ${poisoned.reason}; its parameters are not known`
        : `model '${m.name}' (${m.instance.cls.name}): ${paramsSentence(m.counts)}; memlens needs an example input to analyse its memory: call it on an example tensor, or add \`# memlens: input [N, ...]\` above the class`,
      ...(poisoned ? {} : pragmaFix(root, m.instance.cls.name, host.inputGuess(m.instance))),
    });
  });
  let kerasBatchSites: PythonAnalysis['kerasBatchSites'];
  if (keras) {
    const k = kerasGraphs(keras, options.defaults, options.overrides, (n) => n.anchor.doc === root.anchor.doc, graphs.length);
    graphs.push(...k.graphs);
    refs.push(...k.refs);
    diagnostics.push(...k.diagnostics);
    kerasBatchSites = k.batchSites;
  }
  const outline: OutlineSymbol[] = graphs.map((g) => ({ name: g.name, kind: 'model', range: g.range, selectionRange: g.nameRange, detail: `${g.ops.length} ops`, children: [] }));
  for (const [node, note] of host.versionNotes) if (node.anchor.doc === root.anchor.doc) refs.push({ range: rangeOfNode(node), kind: 'note', name: 'torch version', isDefinition: false, note });
  for (const call of host.sharding) if (call.site.anchor.doc === root.anchor.doc) refs.push({ range: rangeOfNode(call.site), kind: 'note', name: 'data parallelism', isDefinition: false, note: call.note });
  return { analysis: { graphs, diagnostics: dedupe(diagnostics), outline, refs, blocks: [], traces: host.traces, modules, ...(kerasBatchSites ? { kerasBatchSites } : {}), ...(strategySites.length > 0 ? { strategySites } : {}) }, reads };
}

function paramsSentence(c: ReturnType<typeof countParameters>): string {
  if (![c.trainable, c.frozen, c.buffers].every(Number.isSafeInteger)) return 'more parameters than can be counted exactly (over 2^53)';
  const parts = [`${c.trainable.toLocaleString('en-US')} trainable parameters`];
  if (c.frozen > 0) parts.push(`${c.frozen.toLocaleString('en-US')} frozen`);
  if (c.buffers > 0) parts.push(`${c.buffers.toLocaleString('en-US')} buffer values`);
  return parts.join(', ');
}

/** FSDP / DDP / deepspeed.initialize around the model (or a module holding it) */
function wrapperOf(trace: Trace, host: TorchHost): ShardingCall | undefined {
  return host.sharding.find((call) => call.module.kind === 'instance' && collectModules(call.module).some((e) => e.module === trace.root));
}

/** the file's own config: the example's batch, a training step or inference, the optimizer */
function modelConfig(trace: Trace, host: TorchHost, options: PythonOptions): ModelConfig {
  const own: { -readonly [K in keyof ModelConfig]?: ModelConfig[K] } = {};
  if (trace.batchLiteral !== undefined && trace.batchLiteral > 0) own.batch = trace.batchLiteral;
  if (trace.training.backward) own.mode = 'train';
  else if (trace.training.inference) own.mode = 'infer';
  const params = new Set<object>(collectModules(trace.root).flatMap((e) => [...(e.module.module?.params.values() ?? [])].filter((p) => p !== undefined)));
  const opt = host.optimizers.find((o) => [...o.params].some((p) => params.has(p)));
  if (opt) own.optimizer = { kind: opt.kind, momentum: opt.momentum, ...(opt.setToNone ? { setToNone: true } : {}), ...(opt.unprofiled.length > 0 ? { unprofiled: opt.unprofiled } : {}) };
  // `model.double()`, `.half()`, `.bfloat16()`: weights, gradients and activations in that precision
  if (trace.conversion) own.precision = trace.conversion.precision;
  const wrapper = wrapperOf(trace, host);
  if (wrapper?.zero !== undefined) own.zero = wrapper.zero;
  if (wrapper?.offload !== undefined) own.offload = wrapper.offload;
  if (wrapper?.gradientAccumulation !== undefined) own.gradientAccumulation = wrapper.gradientAccumulation;
  return mergeConfig(options.defaults, own, options.overrides);
}

/** NNM402's quick fix: the input pragma above the model's class, its shape guessed from the first layer */
function pragmaFix(root: Node, className: string, guess: string | undefined): Pick<CoreDiagnostic, 'quickFix'> {
  if (!guess) return {};
  // the pragma goes above the decorators of a decorated class
  const outer = root.namedChildren.find((c) => {
    const def = c.type === 'decorated_definition' ? c.childForFieldName('definition') : c;
    return def?.type === 'class_definition' && def.childForFieldName('name')?.text === className;
  });
  if (!outer) return {};
  const start = rangeOfNode(outer).start;
  const at = { line: start.line, character: 0 };
  return { quickFix: { title: `Add \`# memlens: input ${guess}\` above class ${className} (edit the sizes to your data)`, edits: [{ range: { start: at, end: at }, newText: `# memlens: input ${guess}\n` }] } };
}

function refsOf(trace: Trace, graph: Graph, index: number): SourceRef[] {
  const refs: SourceRef[] = [{ range: graph.nameRange, kind: 'model', name: graph.name, definition: graph.nameRange, isDefinition: true, graph: index }];
  const bySite = new Map<string, { range: SourceRange; name: string; ops: Set<OpId>; tensors: Set<TensorId> }>();
  for (const app of trace.applications) {
    const key = `${app.site.startIndex}:${app.site.endIndex}`;
    let entry = bySite.get(key);
    if (!entry) {
      entry = { range: rangeOfNode(app.site), name: app.label, ops: new Set(), tensors: new Set() };
      bySite.set(key, entry);
    }
    for (const op of app.ops) entry.ops.add(op);
    entry.tensors.add(app.output);
  }
  for (const e of bySite.values()) refs.push({ range: e.range, kind: 'op', name: e.name, isDefinition: false, graph: index, ops: [...e.ops], tensors: [...e.tensors] });
  return refs;
}

function dedupe(diagnostics: readonly CoreDiagnostic[]): CoreDiagnostic[] {
  const seen = new Set<string>();
  return diagnostics.flatMap((d) => {
    const key = `${d.range.start.line}:${d.range.start.character}:${d.code}:${d.message}`;
    if (seen.has(key)) return [];
    seen.add(key);
    const message = shortenCode(d.message);
    return [message === d.message ? d : { ...d, message }];
  });
}

/** the most of a quoted expression a message shows: its range already marks the whole of it */
const QUOTED_CHARS = 72;

/** a quoted expression over several lines or very long is cut to the start of its first line */
export function shortenCode(message: string): string {
  return message.replace(/`([^`]*)`/g, (whole, code: string) => {
    const line = code.split('\n')[0]!.trimEnd();
    if (line === code && code.length <= QUOTED_CHARS) return whole;
    return `\`${line.slice(0, QUOTED_CHARS).trimEnd()} …\``;
  });
}

export const pythonFrontend: Frontend = {
  name: 'Python',
  languages: ['python'],
  fileExtensions: { '.py': 'python' },
  // 0.8 MB of statements took 0.7 s to read; a 50 MB file ran for minutes in gigabytes
  maxTextLength: 2 * 2 ** 20,
  lineComment: '#',
  defaultFramework: 'pytorch',
  claims: mentionsPythonFramework,
  analyze: (text: string, options: FrontendOptions) =>
    analyzePython(text, {
      defaults: options.defaults,
      ...(options.overrides ? { overrides: options.overrides } : {}),
      ...(options.documentKey ? { documentKey: options.documentKey } : {}),
      ...(options.torchVersion ? { torchVersion: options.torchVersion } : {}),
      ...(options.readFile ? { readFile: options.readFile } : {}),
    }),
  init: initTfjsFrontend,
  isReady: isTfjsFrontendReady,
  forget: forgetPythonDocument,
  fixEdits: pythonFixEdits,
};

export type { PythonAnalysis } from './analysis';
