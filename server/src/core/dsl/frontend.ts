// The .nnm frontend: text -> tokens -> AST -> elaborated graphs, with outline, refs and blocks.
import type { ConfigOverrides } from '../config';
import type { BlockInfo, FrontendResult } from '../document';
import type { CoreDiagnostic, ModelConfig } from '../ir';
import { lookupOp } from '../ops/registry';
import type { BlockItem, NnmFile } from './ast';
import { diag } from './codes';
import { evalConfigItem } from './config';
import { Elaborator } from './elaborate';
import { parseNnm } from './parser';
import { RefCollector } from './refs';
import { addStaticRefs } from './staticRefs';
import { OutlineSketch } from './outline';
import { lazyFrontendResult } from './lazyResult';

/** diagnostics kept per document: a file of junk must not flood the editor */
export const MAX_DIAGNOSTICS = 500;

/**
 * Parse and elaborate a .nnm document. Each model's config = defaults, then the file-level
 * `config`, then the model's own `config`, then `overrides` (CLI flags such as --batch).
 */
export function analyzeNnm(text: string, defaults: ModelConfig, overrides?: ConfigOverrides): FrontendResult {
  const { file, diagnostics, lines } = parseNnm(text);
  const refs = new RefCollector(text, lines);
  const blocks = collectBlocks(file, diagnostics);

  let fileConfig: ConfigOverrides = {};
  for (const item of file.items) {
    if (item.kind !== 'config') continue;
    const r = evalConfigItem(item);
    diagnostics.push(...r.diagnostics);
    fileConfig = { ...fileConfig, ...r.overrides };
  }

  const elaborator = new Elaborator(blocks, diagnostics, refs);
  const modelNames = new Set<string>();
  for (const item of file.items) {
    if (item.kind !== 'model' || item.name.name === '') continue;
    if (modelNames.has(item.name.name)) diagnostics.push(diag('duplicate', item.name.range, `model '${item.name.name}' is defined twice`));
    modelNames.add(item.name.name);
    elaborator.elaborateModel(item, defaults, fileConfig, overrides);
  }

  addStaticRefs(file, refs, elaborator.expandedBlocks);
  // refs and outline are read by editor requests only (hover, definition, symbols): built on the
  // first read, not on every keystroke, from what was recorded (the syntax tree is not kept)
  const sketch = new OutlineSketch(file, text, lines, elaborator.statementTensors);
  return lazyFrontendResult(elaborator.graphs, capDiagnostics(diagnostics), blockInfos(file), refs, sketch);
}

function collectBlocks(file: NnmFile, diagnostics: CoreDiagnostic[]): Map<string, BlockItem> {
  const blocks = new Map<string, BlockItem>();
  for (const item of file.items) {
    if (item.kind !== 'block' || item.name.name === '') continue;
    const name = item.name.name;
    if (blocks.has(name)) {
      diagnostics.push(diag('duplicate', item.name.range, `block '${name}' is defined twice; the first definition is used`));
      continue;
    }
    if (lookupOp(name)) diagnostics.push(diag('duplicate', item.name.range, `block '${name}' hides the op '${name}'`, 'warning'));
    blocks.set(name, item);
    checkBlockBody(item, diagnostics);
  }
  return blocks;
}

/** problems of a block visible without expanding it */
function checkBlockBody(block: BlockItem, diagnostics: CoreDiagnostic[]): void {
  const seenParams = new Set<string>();
  for (const p of block.params) {
    if (seenParams.has(p.name.name)) diagnostics.push(diag('duplicate', p.name.range, `parameter '${p.name.name}' is declared twice`));
    seenParams.add(p.name.name);
  }
  let returned = false;
  for (const stmt of block.body) {
    if (stmt.kind === 'config') diagnostics.push(diag('configPlacement', stmt.keywordRange, "'config' belongs at file level or inside a model, not in a block"));
    else if (returned) {
      diagnostics.push(diag('unreachable', stmt.range, 'statement after return is never elaborated', 'warning'));
      break;
    } else if (stmt.kind === 'return') returned = true;
  }
  if (!returned) diagnostics.push(diag('blockNoReturn', block.name.range, `block '${block.name.name}' has no 'return'`));
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
