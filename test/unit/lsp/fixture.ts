// A hand-built analysis of a small .nnm document: graph from GraphBuilder, refs, outline and
// blocks written out by hand, so LSP features are tested without the DSL frontend.
import { analyzeGraphs } from '../../../server/src/core/analyze';
import { BUILTIN_DEFAULTS, mergeConfig, type ConfigOverrides } from '../../../server/src/core/config';
import type { DocumentAnalysis } from '../../../server/src/core/document';
import type { BlockInfo, OutlineSymbol, SourceRef } from '../../../server/src/core/frontend';
import { GraphBuilder, isRejection, type OpRequest } from '../../../server/src/core/graphBuilder';
import type { CallFrame, CoreDiagnostic, SourceRange } from '../../../server/src/core/ir';

export const TEXT = [
  'config {', // 0
  '  batch: 8', // 1
  '}', // 2
  'block pair(x, width, act: true) {', // 3
  '  y = conv2d(x, width, kernel: 3, pad: 1)', // 4
  '  return relu(y)', // 5
  '}', // 6
  'model tiny {', // 7
  '  x = input(3, 32, 32)', // 8
  '  x = conv2d(x, 16, kernel: 3, pad: 1)', // 9
  '  x = pair(x, 16)', // 10
  '  x = pair(x, 32)', // 11
  '  return dense(flatten(x), 10)', // 12
  '}', // 13
  '',
].join('\n');

const LINES = TEXT.split('\n');

/** the range of the n-th (0-based) occurrence of `token` on a line */
export function find(line: number, token: string, nth = 0): SourceRange {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = LINES[line]!.indexOf(token, at + 1);
    if (at < 0) throw new Error(`'${token}' #${nth} not on line ${line}`);
  }
  return { start: { line, character: at }, end: { line, character: at + token.length } };
}

/** from the first occurrence of `from` to the end of the last occurrence of `to` on the line */
function span(line: number, from: string, to: string): SourceRange {
  const text = LINES[line]!;
  return { start: { line, character: text.indexOf(from) }, end: { line, character: text.lastIndexOf(to) + to.length } };
}

function lines(first: number, last: number): SourceRange {
  return { start: { line: first, character: 0 }, end: { line: last, character: LINES[last]!.length } };
}

/** a statement: from its first non-blank to its end */
function stmt(line: number): SourceRange {
  const text = LINES[line]!;
  return { start: { line, character: text.length - text.trimStart().length }, end: { line, character: text.length } };
}

export function buildAnalysis(configOverrides: ConfigOverrides = { batch: 8 }): DocumentAnalysis {
  const config = mergeConfig(BUILTIN_DEFAULTS, configOverrides);
  const b = new GraphBuilder('tiny', config, lines(7, 13), find(7, 'tiny'));
  const add = (req: OpRequest): number => {
    const r = b.add(req);
    if (isRejection(r)) throw new Error(r.message);
    return r;
  };
  const pairCall = (line: number, width: number, input: number): number => {
    const site = span(line, 'pair', ')');
    const callStack: CallFrame[] = [{ block: 'pair', site }];
    const y = add({ op: 'conv2d', inputs: [input], args: { filters: width, kernel: 3, pad: 1 }, site: span(4, 'conv2d', ')'), statement: stmt(line), callStack, name: 'y' });
    return add({ op: 'relu', inputs: [y], args: {}, site: span(5, 'relu', ')'), statement: stmt(line), callStack, name: 'x' });
  };
  const t0 = add({ op: 'input', inputs: [], args: { shape: [3, 32, 32] }, site: span(8, 'input', ')'), statement: stmt(8), name: 'x' });
  const t1 = add({ op: 'conv2d', inputs: [t0], args: { filters: 16, kernel: 3, pad: 1 }, site: span(9, 'conv2d', ')'), statement: stmt(9), name: 'x' });
  const t3 = pairCall(10, 16, t1); // ops 2, 3
  const t5 = pairCall(11, 32, t3); // ops 4, 5
  const t6 = add({ op: 'flatten', inputs: [t5], args: {}, site: span(12, 'flatten', ')'), statement: stmt(12) });
  const t7 = add({ op: 'dense', inputs: [t6], args: { units: 10 }, site: span(12, 'dense', ')'), statement: stmt(12) });
  const graph = b.build([t7]);

  const def = (range: SourceRange, kind: SourceRef['kind'], name: string, extra: Partial<SourceRef> = {}): SourceRef => ({ range, kind, name, definition: range, isDefinition: true, ...extra });
  const use = (range: SourceRange, kind: SourceRef['kind'], name: string, definition: SourceRange, extra: Partial<SourceRef> = {}): SourceRef => ({ range, kind, name, definition, isDefinition: false, ...extra });
  const pairDef = find(3, 'pair');
  const xParam = find(3, 'x');
  const widthParam = find(3, 'width');
  const yDef = find(4, 'y');
  const refs: SourceRef[] = [
    def(find(1, 'batch'), 'config', 'batch'),
    def(pairDef, 'block', 'pair'),
    def(xParam, 'parameter', 'x'),
    def(widthParam, 'parameter', 'width'),
    def(find(3, 'act'), 'parameter', 'act'),
    def(yDef, 'tensor', 'y', { graph: 0, tensors: [2, 4] }),
    { range: span(4, 'conv2d', ')'), kind: 'op', name: 'conv2d', isDefinition: false, graph: 0, ops: [2, 4] },
    use(find(4, 'x'), 'parameter', 'x', xParam),
    use(find(4, 'width'), 'parameter', 'width', widthParam),
    { range: span(5, 'relu', ')'), kind: 'op', name: 'relu', isDefinition: false, graph: 0, ops: [3, 5] },
    use(find(5, 'y'), 'tensor', 'y', yDef, { graph: 0, tensors: [2, 4] }),
    def(find(7, 'tiny'), 'model', 'tiny', { graph: 0 }),
    def(find(8, 'x'), 'tensor', 'x', { graph: 0, tensors: [0] }),
    { range: span(8, 'input', ')'), kind: 'op', name: 'input', isDefinition: false, graph: 0, ops: [0] },
    def(find(9, 'x'), 'tensor', 'x', { graph: 0, tensors: [1] }),
    { range: span(9, 'conv2d', ')'), kind: 'op', name: 'conv2d', isDefinition: false, graph: 0, ops: [1] },
    use(find(9, 'x', 1), 'tensor', 'x', find(8, 'x'), { graph: 0, tensors: [0] }),
    def(find(10, 'x'), 'tensor', 'x', { graph: 0, tensors: [3] }),
    use(span(10, 'pair', ')'), 'block', 'pair', pairDef, { graph: 0, ops: [2, 3] }),
    use(find(10, 'x', 1), 'tensor', 'x', find(9, 'x'), { graph: 0, tensors: [1] }),
    def(find(11, 'x'), 'tensor', 'x', { graph: 0, tensors: [5] }),
    use(span(11, 'pair', ')'), 'block', 'pair', pairDef, { graph: 0, ops: [4, 5] }),
    use(find(11, 'x', 1), 'tensor', 'x', find(10, 'x'), { graph: 0, tensors: [3] }),
    { range: span(12, 'dense', ')'), kind: 'op', name: 'dense', isDefinition: false, graph: 0, ops: [7] },
    { range: span(12, 'flatten', ')', ), kind: 'op', name: 'flatten', isDefinition: false, graph: 0, ops: [6] },
    use(find(12, 'x'), 'tensor', 'x', find(11, 'x'), { graph: 0, tensors: [5] }),
  ];
  const tensorSym = (line: number): OutlineSymbol => ({ name: 'x', kind: 'tensor', range: stmt(line), selectionRange: find(line, 'x'), children: [] });
  const outline: OutlineSymbol[] = [
    { name: 'config', kind: 'config', range: lines(0, 2), selectionRange: find(0, 'config'), children: [] },
    {
      name: 'pair',
      kind: 'block',
      detail: '(x, width, act: true)',
      range: lines(3, 6),
      selectionRange: pairDef,
      children: [{ name: 'y', kind: 'tensor', range: stmt(4), selectionRange: yDef, children: [] }],
    },
    { name: 'tiny', kind: 'model', range: lines(7, 13), selectionRange: find(7, 'tiny'), children: [8, 9, 10, 11].map(tensorSym) },
  ];
  const blocks: BlockInfo[] = [
    { name: 'pair', params: [{ name: 'x' }, { name: 'width' }, { name: 'act', default: 'true' }], range: lines(3, 6), nameRange: pairDef, doc: 'conv then relu' },
  ];
  const diagnostics: CoreDiagnostic[] = [
    { range: find(12, 'dense'), severity: 'warning', code: 'NNM999', message: 'a test warning', related: [{ range: find(7, 'tiny'), message: 'in this model' }] },
  ];
  const analysis = analyzeGraphs({ graphs: [graph], diagnostics: [], outline, refs, blocks });
  // the analyses' own findings (budget, ...) are not what these tests are about
  return { ...analysis, diagnostics };
}

/** a position inside a range (its start plus `offset` characters) */
export function inside(range: SourceRange, offset = 0): { line: number; character: number } {
  return { line: range.start.line, character: range.start.character + offset };
}

export function offsetOf(pos: { line: number; character: number }): number {
  let offset = 0;
  for (let i = 0; i < pos.line; i++) offset += LINES[i]!.length + 1;
  return offset + pos.character;
}
