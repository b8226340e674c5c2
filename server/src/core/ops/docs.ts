// Renders the op table as Markdown (docs/ops.md is this output; a unit test keeps them in sync).
import type { ArgSpec, OpSpec } from './types';
import { ALL_OPS } from './registry';

function formatValue(v: ArgSpec['default']): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  return String(v);
}

/** conv2d(x, filters, kernel, stride: 1, pad: 0, ...) */
export function signatureOf(spec: OpSpec): string {
  const parts = spec.args.map((a) => {
    if (a.kind === 'tensor') return a.variadic ? `${a.name}...` : a.name;
    if (a.positional && a.variadic) return `${a.name}...`;
    if (a.positional && a.required) return a.name;
    if (a.positional) return `${a.name}?${a.default !== undefined ? ` = ${formatValue(a.default)}` : ''}`;
    return `${a.name}: ${a.default !== undefined ? formatValue(a.default) : a.required ? '(required)' : '(optional)'}`;
  });
  return `${spec.name}(${parts.join(', ')})`;
}

/** the formula's shape part and parameter part (formulas read "<shape rule>; params = <formula>") */
export function splitFormula(formula: string): { shape: string; params: string } {
  const at = formula.indexOf('; params = ');
  return at < 0 ? { shape: formula, params: '' } : { shape: formula.slice(0, at), params: formula.slice(at + '; params = '.length) };
}

export function savedText(spec: OpSpec): string {
  const s = spec.savedForBackward;
  const tensorNames = spec.args.filter((a) => a.kind === 'tensor').map((a) => a.name);
  const parts: string[] = [];
  if (s.inputs.length > 0) {
    const variadic = spec.args.some((a) => a.kind === 'tensor' && a.variadic);
    parts.push(`input${s.inputs.length > 1 ? 's' : ''} ${s.inputs.map((i) => (variadic ? `${tensorNames[0]}[${i}]` : tensorNames[i])).join(', ')}`);
  }
  if (s.output) parts.push('output');
  else if (s.outputWhen) parts.push(`output when ${s.outputWhenDoc ?? 'a fused activation is set'}`);
  if (s.extraDoc) parts.push(`extras: ${s.extraDoc}${s.extraDType ? ` (${s.extraDType})` : ''}`);
  return parts.length === 0 ? 'nothing' : parts.join('; ');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function opsMarkdown(ops: readonly OpSpec[] = ALL_OPS): string {
  const lines = [
    '# Ops',
    '',
    'Generated from the op registry (`server/src/core/ops/`); `test/unit/ops/registry.test.ts` fails when this file is stale.',
    'Regenerate: `node --import tsx -e "process.stdout.write(require(\'./server/src/core/ops/docs\').opsMarkdown())" > docs/ops.md`.',
    '',
    'Shapes are per sample (the batch N is implicit). Under `layout: nchw` channels come first ([C, H, W]), under `nhwc` last',
    '([H, W, C]); every op with a channel axis follows the layout. Sequence ops (embedding, rnn, attention, layernorm) use',
    '[L, d] in both layouts. Parameter counts follow PyTorch unless noted. In-place: `elementwise` ops accept `inplace: true`',
    '(the liveness analysis checks legality); `inferOnly` ops (batchnorm) only at inference. Workspace is transient per-sample',
    'memory while the op runs (im2col lowering, attention scores). Arguments: `name` positional and required, `name?`',
    'positional and optional, `name: default` named.',
    '',
    '| Op | Signature | Shape | Parameters | Saved for backward | In-place | Workspace |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const spec of ops) {
    const { shape, params } = splitFormula(spec.formula);
    const name = [spec.name, ...(spec.aliases ?? [])].map((n) => `\`${n}\``).join(', ');
    lines.push(
      `| ${[name, `\`${signatureOf(spec)}\``, shape, params, savedText(spec), spec.inPlace, spec.workspaceDoc ?? 'none'].map(cell).join(' | ')} |`,
    );
  }
  lines.push('', '## Arguments', '');
  for (const spec of ops) {
    lines.push(`### ${spec.name}`, '', spec.summary + '.', '');
    for (const a of spec.args) {
      const kind = a.kind === 'enum' ? `one of ${(a.values ?? []).join(' / ')}` : a.kind;
      const dflt = a.default !== undefined ? `, default ${formatValue(a.default)}` : a.required ? ', required' : '';
      lines.push(`- \`${a.name}\` (${kind}${a.positional ? ', positional' : ''}${a.variadic ? ', variadic' : ''}${dflt}): ${a.doc}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
