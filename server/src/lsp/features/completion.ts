// Completion: op and block names, named arguments of the call being written, names in scope,
// config keys and their values.
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem } from 'vscode-languageserver';
import type { DocumentAnalysis } from '../../core/document';
import type { Position } from '../../core/ir';
import { ALL_OPS, lookupOp } from '../../core/ops/registry';
import type { ArgSpec } from '../../core/ops/types';
import { comparePositions, rangeContains } from '../position';
import { CONFIG_KEYS } from './configKeys';
import { blockSignatureText } from './format';
import { textContext, type CallContext } from './textContext';

export function completion(analysis: DocumentAnalysis | undefined, text: string, offset: number, pos: Position): CompletionItem[] {
  const ctx = textContext(text, offset);
  switch (ctx.kind) {
    case 'comment':
      return [];
    case 'topLevel':
      return keywordItems(['model', 'block', 'config']);
    case 'configKey':
      return configKeyItems();
    case 'configValue':
      return configValueItems(ctx.key);
    case 'statementStart':
      return [...keywordItems(['return', 'config']), ...nameItems(analysis, pos)];
    case 'expression':
      return expressionItems(analysis, pos);
    case 'call':
      return ctx.atArgStart ? [...namedArgItems(analysis, ctx), ...expressionItems(analysis, pos)] : expressionItems(analysis, pos);
  }
}

function expressionItems(analysis: DocumentAnalysis | undefined, pos: Position): CompletionItem[] {
  return [...nameItems(analysis, pos), ...opItems(), ...blockItems(analysis), ...keywordItems(['repeat'])];
}

export function opItems(): CompletionItem[] {
  const items: CompletionItem[] = [];
  for (const spec of ALL_OPS) {
    for (const name of [spec.name, ...(spec.aliases ?? [])]) {
      items.push({
        label: name,
        kind: CompletionItemKind.Function,
        detail: name === spec.name ? spec.summary : `alias of ${spec.name}: ${spec.summary}`,
        documentation: { kind: MarkupKind.Markdown, value: `${spec.summary}\n\n*${spec.formula}*` },
        sortText: `2_${name}`,
      });
    }
  }
  return items;
}

function blockItems(analysis: DocumentAnalysis | undefined): CompletionItem[] {
  return (analysis?.blocks ?? []).map((b) => ({
    label: b.name,
    kind: CompletionItemKind.Module,
    detail: `block ${blockSignatureText(b)}`,
    ...(b.doc ? { documentation: b.doc } : {}),
    sortText: `1_${b.name}`,
  }));
}

/** tensors and block parameters defined before the cursor in the model or block it sits in */
function nameItems(analysis: DocumentAnalysis | undefined, pos: Position): CompletionItem[] {
  if (!analysis) return [];
  const scope =
    analysis.models.find((m) => rangeContains(m.graph.range, pos))?.graph.range ??
    analysis.blocks.find((b) => rangeContains(b.range, pos))?.range;
  if (!scope) return [];
  const names = new Set<string>();
  for (const ref of analysis.refs) {
    if (!ref.isDefinition || (ref.kind !== 'tensor' && ref.kind !== 'parameter')) continue;
    if (!rangeContains(scope, ref.range.start) || comparePositions(ref.range.end, pos) > 0) continue;
    names.add(ref.name);
  }
  return [...names].map((name) => ({ label: name, kind: CompletionItemKind.Variable, sortText: `0_${name}` }));
}

/** `name: ` for each argument of the op or block being called that is not given yet */
export function namedArgItems(analysis: DocumentAnalysis | undefined, ctx: CallContext): CompletionItem[] {
  const given = new Set(ctx.named);
  const spec = lookupOp(ctx.callee);
  if (spec) {
    const positional = spec.args.filter((a) => a.kind === 'tensor' || a.positional);
    for (const a of positional.slice(0, ctx.positionalBefore)) given.add(a.name);
    return spec.args
      .filter((a) => a.kind !== 'tensor' && !a.variadic && !given.has(a.name))
      .map((a) => argItem(a.name, argDetail(a), a.doc));
  }
  const block = analysis?.blocks.find((b) => b.name === ctx.callee);
  if (!block) return [];
  return block.params
    .filter((p, i) => i >= ctx.positionalBefore && !given.has(p.name))
    .map((p) => argItem(p.name, p.default !== undefined ? `default ${p.default}` : 'required', undefined));
}

function argItem(name: string, detail: string, doc: string | undefined): CompletionItem {
  return {
    label: `${name}:`,
    kind: CompletionItemKind.Property,
    insertText: `${name}: `,
    filterText: name,
    detail,
    ...(doc ? { documentation: doc } : {}),
    sortText: `0_${name}`,
  };
}

export function argDetail(a: ArgSpec): string {
  const type = a.kind === 'enum' && a.values ? a.values.join(' | ') : a.kind;
  if (a.required) return `${type}, required`;
  return a.default !== undefined ? `${type} = ${Array.isArray(a.default) ? `[${a.default.join(', ')}]` : String(a.default)}` : type;
}

function configKeyItems(): CompletionItem[] {
  return CONFIG_KEYS.map((k) => ({
    label: k.name,
    kind: CompletionItemKind.Property,
    insertText: `${k.name}: `,
    detail: k.values.map((v) => v.label).slice(0, 6).join(' | '),
    documentation: k.doc,
  }));
}

function configValueItems(key: string): CompletionItem[] {
  const spec = CONFIG_KEYS.find((k) => k.name === key);
  if (!spec) return [];
  return spec.values.map((v, i) => ({
    label: v.label,
    kind: CompletionItemKind.EnumMember,
    ...(v.insert ? { insertText: v.insert, insertTextFormat: InsertTextFormat.Snippet } : {}),
    ...(v.doc ? { detail: v.doc } : {}),
    sortText: String(i).padStart(2, '0'),
  }));
}

function keywordItems(words: readonly string[]): CompletionItem[] {
  return words.map((w) => ({ label: w, kind: CompletionItemKind.Keyword, sortText: `3_${w}` }));
}
