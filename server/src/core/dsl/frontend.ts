// The .nnm frontend: text -> tokens -> AST -> elaborated graphs, with outline, refs and blocks.
import { nnmFixEdits } from '../fixes/nnmFixes';
import type { ConfigOverrides } from '../config';
import type { BlockInfo, Frontend, FrontendResult } from '../frontend';
import type { CoreDiagnostic, ModelConfig } from '../ir';
import type { ModelItem, NnmFile } from './ast';
import { collectBlocks } from './blocks';
import { diag } from './codes';
import { mergeConfigItems } from './config';
import { Elaborator } from './elaborate';
import { parseNnm } from './parser';
import { RefCollector } from './refs';
import { addStaticRefs } from './staticRefs';
import { OutlineSketch, type StreamedSketch } from './outline';
import type { SourceLines } from './source';
import { ModelStream } from './streamed';
import { lazyFrontendResult } from './lazyResult';

/** .nnm files are always ours, and need nothing loaded */
export const nnmFrontend: Frontend = {
  name: 'nnm',
  languages: ['nnm'],
  fileExtensions: { '.nnm': 'nnm' },
  // a 1,000,000-op generated model is 15.8 Mi characters; a 50 MB file took 4.4 s and 886 MiB
  maxTextLength: 32 * 2 ** 20,
  lineComment: '#',
  defaultFramework: 'ideal',
  claims: () => true,
  analyze: (text, options) => analyzeNnm(text, options.defaults, options.overrides, options.stream === undefined ? {} : { stream: options.stream }),
  fixEdits: (text, fix) => nnmFixEdits(text, fix),
};

/** diagnostics kept per document: a file of junk must not flood the editor */
export const MAX_DIAGNOSTICS = 500;

/**
 * Below this many characters a model's syntax tree dies young anyway, and parsing the whole file
 * first measured a little faster (ResNet-50's fastest analyses 0.68-0.69 ms against 0.70-0.71
 * streamed); the generated 10,000-op chain is 150,000 characters.
 */
export const STREAM_MIN_CHARS = 128 * 1024;

/** whether analyzeNnm tries to elaborate the models as they are parsed (streamed.ts) */
export function streamsByDefault(text: string): boolean {
  return text.length >= STREAM_MIN_CHARS && itemsAboveModels(text);
}

/**
 * Parse and elaborate a .nnm document. Each model's config = defaults, then the file-level
 * `config`, then the model's own `config`, then `overrides` (CLI flags such as --batch).
 * `stream` overrides streamsByDefault (tests compare both ways); with `true` the streamed
 * elaboration is tried whatever the text, and the parse still decides whether it stands.
 */
export function analyzeNnm(text: string, defaults: ModelConfig, overrides?: ConfigOverrides, options: { readonly stream?: boolean } = {}): FrontendResult {
  if (options.stream ?? streamsByDefault(text)) {
    const streamed = analyzeStreamed(text, defaults, overrides);
    if (streamed) return streamed;
  }
  return analyzeWhole(text, defaults, overrides);
}

/** parse the whole file, then elaborate each model */
function analyzeWhole(text: string, defaults: ModelConfig, overrides: ConfigOverrides | undefined): FrontendResult {
  const { file, diagnostics, lines } = parseNnm(text);
  const refs = new RefCollector(text, lines);
  const blocks = collectBlocks(file.items, diagnostics);

  const fileConfig = mergeConfigItems(file.items, diagnostics);

  const elaborator = new Elaborator(blocks, diagnostics, refs);
  for (const item of file.items) {
    if (item.kind !== 'model' || item.name.name === '') continue;
    elaborator.nameModel(item.name);
    elaborator.elaborateModel(item, defaults, fileConfig, overrides);
  }
  return frontendResult(file, text, lines, elaborator, refs, diagnostics);
}

/**
 * Elaborate each model's statements as they are parsed (streamed.ts); undefined when something
 * below a model (a block, a file config, a model config below a statement) would have changed it.
 */
function analyzeStreamed(text: string, defaults: ModelConfig, overrides: ConfigOverrides | undefined): FrontendResult | undefined {
  let stream: ModelStream | undefined;
  let refs: RefCollector | undefined;
  const { file, diagnostics, lines } = parseNnm(text, (lines) => (stream = new ModelStream((refs = new RefCollector(text, lines)), lines, defaults, overrides)));
  const elaborator = stream?.elaborator;
  if (!stream || !refs || !elaborator || stream.failed || itemBelowModel(file)) return undefined;
  const streamed = new Map<ModelItem, StreamedSketch>();
  let k = 0;
  for (const item of file.items) {
    if (item.kind !== 'model' || item.name.name === '') continue;
    const model = stream.models[k++];
    if (!model) return undefined;
    elaborator.statementTensors.set(item, { graph: model.graph, tensors: model.run.tensors });
    streamed.set(item, model.sketch);
  }
  if (k !== stream.models.length) return undefined;
  return frontendResult(file, text, lines, elaborator, refs, [...diagnostics, ...stream.itemDiagnostics, ...stream.modelDiagnostics], streamed);
}

function frontendResult(file: NnmFile, text: string, lines: SourceLines, elaborator: Elaborator, refs: RefCollector, diagnostics: CoreDiagnostic[], streamed?: ReadonlyMap<ModelItem, StreamedSketch>): FrontendResult {
  addStaticRefs(file, refs, elaborator.expandedBlocks);
  // refs and outline are read by editor requests only (hover, definition, symbols): built on the
  // first read, not on every keystroke, from what was recorded (the syntax tree is not kept)
  const sketch = new OutlineSketch(file, text, lines, elaborator.statementTensors, streamed);
  return lazyFrontendResult(elaborator.graphs, capDiagnostics(diagnostics), blockInfos(file), refs, sketch);
}

/**
 * Whether every line that starts a block or a config comes above the first line that starts a
 * model: only then is the streamed elaboration tried (a model's own `config` lines count too, so a
 * model with one is parsed whole). A cheap look at the line starts (a regular expression took
 * 2 ms at 100,000 ops); analyzeStreamed checks the parse itself.
 */
export function itemsAboveModels(text: string): boolean {
  let seenModel = false;
  for (let at = 0; at < text.length; ) {
    let i = at;
    // the lexer's blanks
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 12 || c === 0xfeff; c = text.charCodeAt(++i));
    const c = text.charCodeAt(i);
    if (c === 109 /* m */ && keywordAt(text, i, 'model')) seenModel = true;
    else if (seenModel && ((c === 98 /* b */ && keywordAt(text, i, 'block')) || (c === 99 /* c */ && keywordAt(text, i, 'config')))) return false;
    const next = text.indexOf('\n', i);
    if (next < 0) break;
    at = next + 1;
  }
  return seenModel;
}

function keywordAt(text: string, at: number, word: string): boolean {
  if (!text.startsWith(word, at)) return false;
  const c = text.charCodeAt(at + word.length);
  const identChar = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  return !identChar;
}

/** a block or file config below a model: the models above it were elaborated without it */
function itemBelowModel(file: NnmFile): boolean {
  let seenModel = false;
  for (const item of file.items) {
    if (item.kind === 'model') seenModel = true;
    else if (seenModel) return true;
  }
  return false;
}

function blockInfos(file: NnmFile): BlockInfo[] {
  const out: BlockInfo[] = [];
  for (const item of file.items) {
    if (item.kind !== 'block' || item.name.name === '') continue;
    out.push({
      name: item.name.name,
      params: item.params.map((p) => ({ name: p.name.name, ...(p.defaultText !== undefined ? { default: p.defaultText } : {}) })),
      range: item.range,
      nameRange: item.name.range,
      ...(item.doc ? { doc: item.doc } : {}),
    });
  }
  return out;
}

function capDiagnostics(diagnostics: CoreDiagnostic[]): CoreDiagnostic[] {
  if (diagnostics.length <= MAX_DIAGNOSTICS) return diagnostics;
  const kept = diagnostics.slice(0, MAX_DIAGNOSTICS);
  kept.push(diag('syntax', diagnostics[MAX_DIAGNOSTICS]!.range, `${diagnostics.length - MAX_DIAGNOSTICS} more problems not shown`, 'info'));
  return kept;
}
