// The .nnm frontend: text -> tokens -> AST -> elaborated graphs, with outline, refs and blocks.
import type { ConfigOverrides } from '../config';
import type { BlockInfo, FrontendResult, OutlineSymbol, SourceRef } from '../document';
import type { CoreDiagnostic, Graph, ModelConfig } from '../ir';
import { lookupOp } from '../ops/registry';
import type { BlockItem, ConfigItem, ModelItem, NnmFile, Statement } from './ast';
import { diag } from './codes';
import { evalConfigItem } from './config';
import { Elaborator, type StatementTensors } from './elaborate';
import { parseNnm } from './parser';
import { RefCollector } from './refs';
import { addStaticRefs } from './staticRefs';

/** diagnostics kept per document: a file of junk must not flood the editor */
export const MAX_DIAGNOSTICS = 500;

/**
 * Parse and elaborate a .nnm document. Each model's config = defaults, then the file-level
 * `config`, then the model's own `config`, then `overrides` (CLI flags such as --batch).
 */
export function analyzeNnm(text: string, defaults: ModelConfig, overrides?: ConfigOverrides): FrontendResult {
  const { file, diagnostics } = parseNnm(text);
  const refs = new RefCollector();
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

  // refs and outline are read by editor requests only (hover, definition, symbols): built on the
  // first read, not on every keystroke. Own enumerable getters, so spreads and JSON still see them.
  let refList: SourceRef[] | undefined;
  let outlineList: OutlineSymbol[] | undefined;
  return {
    graphs: elaborator.graphs,
    diagnostics: capDiagnostics(diagnostics),
    get outline(): OutlineSymbol[] {
      return (outlineList ??= outline(file, elaborator.graphs, elaborator.statementTensors));
    },
    get refs(): SourceRef[] {
      if (!refList) {
        addStaticRefs(file, refs, elaborator.expandedBlocks);
        refList = refs.list();
      }
      return refList;
    },
    blocks: blockInfos(file),
  };
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

/** shared by every tensor symbol (read-only, frozen) */
const NO_CHILDREN: readonly OutlineSymbol[] = Object.freeze([]);

function outline(file: NnmFile, graphs: readonly Graph[], results: ReadonlyMap<ModelItem, StatementTensors>): OutlineSymbol[] {
  const out: OutlineSymbol[] = [];
  const details = new ShapeDetails();
  const statements = (body: readonly Statement[], made?: StatementTensors): OutlineSymbol[] => {
    const children: OutlineSymbol[] = [];
    const tensors = made ? graphs[made.graph]?.tensors : undefined;
    for (let index = 0; index < body.length; index++) {
      const s = body[index]!;
      if (s.kind === 'config') children.push(configSymbol(s));
      else if (s.kind === 'assign') {
        const id = made?.tensors[index];
        const t = id !== undefined ? tensors?.[id] : undefined;
        // built whole: a property added later would grow a second store in each of 100k symbols
        children.push(
          t
            ? { name: s.name.name, kind: 'tensor', range: s.range, selectionRange: s.name.range, children: NO_CHILDREN, detail: details.of(t.shape) }
            : { name: s.name.name, kind: 'tensor', range: s.range, selectionRange: s.name.range, children: NO_CHILDREN },
        );
      }
    }
    return children;
  };
  for (const item of file.items) {
    if (item.kind === 'config') out.push(configSymbol(item));
    else if (item.name.name === '') continue;
    else if (item.kind === 'model') out.push(modelSymbol(item, statements(item.body, results.get(item))));
    else {
      const params: OutlineSymbol[] = item.params.map((p) => ({ name: p.name.name, kind: 'parameter', range: p.range, selectionRange: p.name.range, ...(p.defaultText ? { detail: p.defaultText } : {}), children: [] }));
      out.push({ name: item.name.name, kind: 'block', range: item.range, selectionRange: item.name.range, detail: `(${item.params.map((p) => p.name.name).join(', ')})`, children: [...params, ...statements(item.body)] });
    }
  }
  return out;
}

/** `[64]` for a shape; consecutive statements mostly share a shape, so its text is made once */
class ShapeDetails {
  private shape: readonly number[] = [];
  private text = '[]';

  of(shape: readonly number[]): string {
    const last = this.shape;
    let same = shape.length === last.length;
    for (let k = 0; same && k < shape.length; k++) same = shape[k] === last[k];
    if (!same) {
      this.shape = shape;
      this.text = `[${shape.join(', ')}]`;
    }
    return this.text;
  }
}

function modelSymbol(item: ModelItem, children: OutlineSymbol[]): OutlineSymbol {
  return { name: item.name.name, kind: 'model', range: item.range, selectionRange: item.name.range, children };
}

function configSymbol(item: ConfigItem): OutlineSymbol {
  return {
    name: 'config',
    kind: 'config',
    range: item.range,
    selectionRange: item.keywordRange,
    children: item.entries.map((e) => ({ name: e.key.name, kind: 'config' as const, range: e.range, selectionRange: e.key.range, detail: e.valueText, children: [] })),
  };
}

function capDiagnostics(diagnostics: CoreDiagnostic[]): CoreDiagnostic[] {
  if (diagnostics.length <= MAX_DIAGNOSTICS) return diagnostics;
  const kept = diagnostics.slice(0, MAX_DIAGNOSTICS);
  kept.push(diag('syntax', diagnostics[MAX_DIAGNOSTICS]!.range, `${diagnostics.length - MAX_DIAGNOSTICS} more problems not shown`, 'info'));
  return kept;
}
