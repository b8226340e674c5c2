// Signature help: the parameters of the op or block being called, the one under the cursor active.
import { MarkupKind, type ParameterInformation, type SignatureHelp, type SignatureInformation } from 'vscode-languageserver';
import type { DocumentAnalysis } from '../../core/document';
import type { BlockInfo } from '../../core/frontend';
import { lookupOp } from '../../core/ops/registry';
import type { ArgSpec, OpSpec } from '../../core/ops/types';
import { textContext, type CallContext } from './textContext';

export function signatureHelp(analysis: DocumentAnalysis | undefined, text: string, offset: number): SignatureHelp | null {
  const ctx = textContext(text, offset);
  if (ctx.kind !== 'call') return null;
  const spec = lookupOp(ctx.callee);
  if (spec) return help(opSignature(spec), activeOpParam(spec.args, ctx));
  const block = analysis?.blocks.find((b) => b.name === ctx.callee);
  if (block) return help(blockSignature(block), activeBlockParam(block, ctx));
  return null;
}

interface Part {
  readonly label: string;
  readonly doc?: string;
}

/** joins parameter labels into one signature label, keeping each one's [start, end) offsets */
function build(name: string, parts: readonly Part[], doc?: string): SignatureInformation {
  let label = `${name}(`;
  const parameters: ParameterInformation[] = [];
  parts.forEach((p, i) => {
    if (i > 0) label += ', ';
    parameters.push({ label: [label.length, label.length + p.label.length], ...(p.doc ? { documentation: p.doc } : {}) });
    label += p.label;
  });
  label += ')';
  return { label, parameters, ...(doc ? { documentation: { kind: MarkupKind.Markdown, value: doc } } : {}) };
}

export function opSignature(spec: OpSpec): SignatureInformation {
  const parts = spec.args.map((a) => ({ label: argLabel(a), doc: a.doc }));
  return build(spec.name, parts, `${spec.summary}\n\n*${spec.formula}*`);
}

/** `x`, `filters: int`, `stride = 1`, `...shape: int` */
function argLabel(a: ArgSpec): string {
  const name = a.variadic ? `...${a.name}` : a.name;
  if (a.kind === 'tensor') return name;
  if (a.default !== undefined) return `${name} = ${Array.isArray(a.default) ? `[${a.default.join(', ')}]` : String(a.default)}`;
  return `${name}: ${a.kind}`;
}

export function blockSignature(block: BlockInfo): SignatureInformation {
  const parts = block.params.map((p) => ({ label: p.default !== undefined ? `${p.name}: ${p.default}` : p.name }));
  return build(block.name, parts, block.doc);
}

function activeOpParam(args: readonly ArgSpec[], ctx: CallContext): number | null {
  if (ctx.activeName) {
    const i = args.findIndex((a) => a.name === ctx.activeName);
    return i >= 0 ? i : null;
  }
  const positional = args.filter((a) => a.kind === 'tensor' || a.positional);
  const variadicAt = positional.findIndex((a) => a.variadic);
  const slot = variadicAt >= 0 && ctx.positionalBefore >= variadicAt ? positional[variadicAt] : positional[ctx.positionalBefore];
  return slot ? args.indexOf(slot) : null;
}

function activeBlockParam(block: BlockInfo, ctx: CallContext): number | null {
  if (ctx.activeName) {
    const i = block.params.findIndex((p) => p.name === ctx.activeName);
    return i >= 0 ? i : null;
  }
  return ctx.positionalBefore < block.params.length ? ctx.positionalBefore : null;
}

function help(signature: SignatureInformation, active: number | null): SignatureHelp {
  return { signatures: [signature], activeSignature: 0, activeParameter: active };
}
