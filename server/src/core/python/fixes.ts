// Quick fixes written in Python: `inplace=True` on the layer or functional call that runs an op
// (`nn.ReLU()` -> `nn.ReLU(inplace=True)`, `F.relu(x)` -> `F.relu(x, inplace=True)`), and the
// batch of the example tensor (`torch.randn(8, ...)` -> `torch.randn(32, ...)`).
import { FSDP_STRATEGY_OF } from './distributed';
import type { FixSpec, FrontendResult } from '../frontend';
import type { TextEdit } from '../fixes/edits';
import { sameRange, type SourceRange } from '../ir';
import { rangeOfNode } from '../tfjs/graphs';
import { parseDocument } from '../tfjs/parse';
import { copyTree, type SyntaxNode as Node } from '../tfjs/syntax';
import type { PythonAnalysis } from './analysis';
import type { KerasBatchSite } from './kerasExamples';

/** torch.nn.functional calls that take `inplace=` */
const FUNCTIONAL_INPLACE = /(^|\.)(relu|relu6|leaky_relu|elu|selu|celu|hardtanh|silu|hardswish|mish|dropout|dropout1d|dropout2d|dropout3d|alpha_dropout|threshold)$/;
/** torch.nn layers whose constructor takes `inplace` */
const LAYER_INPLACE = /(^|\.)(ReLU|ReLU6|LeakyReLU|ELU|SELU|CELU|Hardtanh|SiLU|Hardswish|Mish|Dropout|Dropout1d|Dropout2d|Dropout3d|AlphaDropout|Threshold)$/;

function isPythonAnalysis(a: FrontendResult): a is PythonAnalysis {
  return 'traces' in a;
}

/** every call node of the text, by its range */
function callsOf(text: string): Node[] {
  const parsed = parseDocument(text, 'python');
  if (!parsed) return [];
  try {
    const { root } = copyTree(parsed.tree, text);
    return root.descendantsOfType('call');
  } finally {
    parsed.release();
  }
}

function callAt(calls: readonly Node[], range: SourceRange): Node | undefined {
  return calls.find((c) => sameRange(rangeOfNode(c), range));
}

/** `inplace=True` added to a call, or its `inplace=False` turned over; undefined when it is already in place */
function setInplace(call: Node): TextEdit | undefined {
  const args = call.childForFieldName('arguments');
  if (!args) return undefined;
  const kw = args.namedChildren.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'inplace');
  if (kw) {
    const value = kw.childForFieldName('value')!;
    return value.text === 'True' ? undefined : { range: rangeOfNode(value), newText: 'True' };
  }
  const end = rangeOfNode(args).end;
  const at = { line: end.line, character: end.character - 1 };
  const given = args.namedChildren.filter((a) => a.type !== 'comment');
  return { range: { start: at, end: at }, newText: given.length > 0 ? ', inplace=True' : 'inplace=True' };
}

function inplaceEdits(text: string, sites: readonly SourceRange[], analysis: FrontendResult): TextEdit[] | undefined {
  const calls = callsOf(text);
  const edits = new Map<string, TextEdit>();
  for (const site of sites) {
    const call = callAt(calls, site);
    if (!call) return undefined;
    const fn = call.childForFieldName('function')!.text;
    // a module call (`self.relu(x)`): the fix goes on the layer's construction, which refs list for the same ops
    const ops = new Set(analysis.refs.filter((r) => sameRange(r.range, site)).flatMap((r) => r.ops ?? []));
    const built = analysis.refs.find((r) => !sameRange(r.range, site) && (r.ops ?? []).some((op) => ops.has(op)) && callAt(calls, r.range));
    const ctor = built && callAt(calls, built.range);
    let target: Node | undefined;
    if (ctor) target = LAYER_INPLACE.test(ctor.childForFieldName('function')!.text) ? ctor : undefined;
    else if (FUNCTIONAL_INPLACE.test(fn) && !/^torch\.[a-z_]+$/.test(fn)) target = call;
    if (!target) return undefined;
    const edit = setInplace(target);
    if (!edit) return undefined;
    edits.set(`${edit.range.start.line}:${edit.range.start.character}`, edit);
  }
  return [...edits.values()];
}

/**
 * A Keras model's batch: fit / predict's `batch_size=` (replaced, or added to the call), and the
 * example array's first axis when it holds fewer samples than the new batch (Keras' batch is
 * min(batch_size, samples)); a direct call's batch is its example's first axis alone.
 */
function kerasBatchEdits(site: KerasBatchSite, batch: number): TextEdit[] | undefined {
  const edits: TextEdit[] = [];
  const example = site.example;
  if (site.call) {
    if ('unknown' in site.call) return undefined;
    if ('literal' in site.call) edits.push({ range: rangeOfNode(site.call.literal), newText: String(batch) });
    else {
      const args = site.call.argumentsNode;
      const end = rangeOfNode(args).end;
      const at = { line: end.line, character: end.character - 1 };
      const given = args.namedChildren.filter((a) => a.type !== 'comment');
      edits.push({ range: { start: at, end: at }, newText: `${given.length > 0 ? ', ' : ''}batch_size=${batch}` });
    }
    if (!example || example.samples >= batch) return edits;
  } else if (!example) return undefined;
  if (!example.firstNode) return undefined;
  edits.push({ range: rangeOfNode(example.firstNode), newText: String(batch) });
  return edits;
}

export function pythonFixEdits(text: string, fix: FixSpec, analysis: FrontendResult): readonly TextEdit[] | undefined {
  switch (fix.kind) {
    case 'inplace':
      return inplaceEdits(text, fix.sites, analysis);
    case 'batch': {
      if (!isPythonAnalysis(analysis)) return undefined;
      const trace = analysis.traces.find((t) => t.name === fix.model);
      if (trace) return trace.batchNode ? [{ range: rangeOfNode(trace.batchNode), newText: String(fix.batch) }] : undefined;
      const keras = analysis.kerasBatchSites?.find((s) => s.model === fix.model);
      return keras ? kerasBatchEdits(keras, fix.batch) : undefined;
    }
    case 'zero': {
      // FSDP's strategy as written; stage 1 has no FSDP form
      const site = isPythonAnalysis(analysis) ? analysis.strategySites?.find((s) => s.model === fix.model) : undefined;
      const strategy = FSDP_STRATEGY_OF[fix.stage];
      return site && strategy ? [{ range: rangeOfNode(site.name), newText: strategy }] : undefined;
    }
    default:
      // precision, checkpointing and statement removal have no one-line Python form memlens can write yet
      return undefined;
  }
}
