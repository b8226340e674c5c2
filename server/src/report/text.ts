// The human-readable report: a per-layer table and the totals of each model. A large model's table
// lists its largest tensors only (a million rows are 69 MB that nobody reads); `detail` lists all.
import type { DocumentAnalysis, ModelAnalysis } from '../core/document';
import type { CoreDiagnostic, Framework, Graph, OpId } from '../core/ir';
import { expectedPeakLine, FRAMEWORK_PROFILES, type ExpectedPeakResult } from '../core/analysis/framework';
import { opOutputBytes } from '../core/analysis/footprint';
import { formatTimeline } from '../core/analysis/timeline';
import { largestContext } from '../core/analysis/kvCache';
import { decodeStepLine, decodeStepOf } from '../core/analysis/decodeStep';
import { recomputeLine } from '../core/analysis/checkpoint';
import { graphColumns } from '../core/graphColumns';
import { opAt, tensorAt } from '../core/graphObjects';
import { atBatch, formatBytes, formatInt, formatSymbolic } from '../core/units';
import { largestOps } from './largest';
import { perDeviceView } from './perDeviceView';

export interface TextReportOptions {
  /** append the per-step timeline of live bytes by category */
  readonly timeline?: boolean;
  /** a row for every tensor, however many (`--detail`) */
  readonly detail?: boolean;
}

/** a model with at most this many ops gets a row per tensor; a larger one its largest tensors only */
export const FULL_TABLE_OPS = 1000;
/** how many of a large model's tensors the table lists */
export const SUMMARY_ROWS = 20;

export function formatReport(file: string, analysis: DocumentAnalysis, options: TextReportOptions = {}): string {
  const parts: string[] = [];
  for (const model of analysis.models) {
    parts.push(formatModel(file, model, options.detail === true));
    if (options.timeline && model.memory) {
      parts.push([`timeline of ${model.graph.name} (live bytes per step at batch ${model.graph.config.batch})`, formatTimeline(model.memory.timeline)].join('\n'));
    }
  }
  if (analysis.models.length === 0) parts.push(`${file}: no model found`);
  if (analysis.diagnostics.length > 0) {
    parts.push(['diagnostics', ...analysis.diagnostics.map((d) => `  ${formatDiagnostic(file, d)}`)].join('\n'));
  }
  return parts.join('\n\n') + '\n';
}

export function formatDiagnostic(file: string, d: CoreDiagnostic): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}`;
}

function formatModel(file: string, model: ModelAnalysis, detail: boolean): string {
  const { graph, footprint, memory } = model;
  const c = graph.config;
  const batch = c.batch;
  const optimizer = c.optimizer.kind === 'sgd' && c.optimizer.momentum > 0 ? `sgd(momentum: ${c.optimizer.momentum})` : c.optimizer.kind;
  const header =
    `${file}: model ${graph.name} (${c.mode}, batch ${batch}, ${c.precision}, ${optimizer}, ` +
    `${c.device.name} ${formatBytes(c.device.memoryBytes)}, ${c.layout})`;
  const columns = graphColumns(graph);
  const opCount = columns.opCount;
  const listed = detail || opCount <= FULL_TABLE_OPS ? undefined : largestOps(opCount, (i) => atBatch(opOutputBytes(columns, i), batch), SUMMARY_ROWS);
  const rows: string[][] = [['line', 'tensor', 'op', 'shape', 'params', 'per sample', `@ batch ${batch}`]];
  const row = (i: OpId): string[] => {
    const op = opAt(graph, i);
    const t = tensorAt(graph, op.output);
    const bytes = opOutputBytes(columns, i);
    const scope = op.callStack.map((f) => f.block).join('.');
    return [
      String(op.site.start.line + 1),
      scope ? `${scope}.${t.name}` : t.name,
      op.op,
      t.batchIndependent ? `[${t.shape.join(', ')}]` : `[N, ${t.shape.join(', ')}]`,
      formatInt(op.params.trainable + op.params.nonTrainable),
      formatBytes(bytes.perSample),
      formatBytes(atBatch(bytes, batch)),
    ];
  };
  if (listed) for (const i of listed.ops) rows.push(row(i));
  else for (let i = 0; i < opCount; i++) rows.push(row(i));
  const omitted = listed
    ? [
        `the ${formatInt(listed.ops.length)} largest of ${formatInt(opCount)} tensors at batch ${batch}, in op order; ` +
          `${formatInt(opCount - listed.ops.length)} more tensors of at most ${formatBytes(listed.restMax)} each; use --detail to list every one`,
      ]
    : [];
  const b = footprint.bytes;
  const p = footprint.params;
  const totals = [
    // the frozen weights among the non-trainable ones, when some are (docs/finetune.md)
    ['parameters', `${formatInt(p.trainable)} trainable, ${formatInt(p.nonTrainable)} non-trainable${p.frozen ? ` (${formatInt(p.frozen)} frozen weights${p.quantized ? `, ${formatInt(p.quantized)} of them quantised` : ''})` : ''}`],
    ['weights', formatBytes(b.weights.fixed)],
    ...(b.buffers.fixed > 0 ? [['buffers', formatBytes(b.buffers.fixed)]] : []),
    ['activations', `${formatSymbolic(b.activations)} = ${formatBytes(atBatch(b.activations, batch))} at batch ${batch}`],
  ];
  if (c.mode === 'train') {
    totals.push(['gradients', formatBytes(b.gradients.fixed)], ['optimizer', formatBytes(b.optimizer.fixed)]);
  }
  if (c.mode === 'generate') {
    const longest = largestContext(model);
    const fits = longest === null ? '' : `; largest context that fits: ${formatInt(longest)}`;
    totals.push(['KV cache', `${formatSymbolic(b.kvCache)} = ${formatBytes(atBatch(b.kvCache, batch))} at batch ${batch}${kvCacheContext(c.context)}${fits}`]);
    const decode = decodeStepOf(model);
    if (decode) totals.push(['decode step', decodeStepLine(decode, graph)]);
  }
  totals.push(['footprint total', `${formatSymbolic(b.total)} = ${formatBytes(atBatch(b.total, batch))} at batch ${batch}`]);
  if (memory) {
    const m = memory.bytes;
    const peak = memory.peakStep;
    const where = peak ? ` at step ${peak.index} (${peak.phase}${peak.line === null ? '' : `, line ${peak.line + 1}`})` : '';
    const limit = memory.maxBatch.planned;
    totals.push(
      ['naive (no reuse)', formatBytes(atBatch(m.naive, batch))],
      ['lower bound', `${formatBytes(m.lowerBound)}${where}`],
      ['planned', `${formatBytes(m.planned)} (fragmentation ${(m.fragmentation * 100).toFixed(1)}%)`],
      ['workspace', formatBytes(atBatch(m.workspace, batch))],
      ...(memory.recompute ? [['recompute', recomputeLine(memory.recompute, batch)]] : []),
      ...expectedRows(memory.expected, c.framework, graph),
      [
        'device',
        `${formatBytes(c.device.memoryBytes)}: ${m.planned <= c.device.memoryBytes ? 'fits' : 'does not fit'}; ` +
          (limit.batch !== null ? `largest batch that fits ${formatInt(limit.batch)}` : limit.reason === 'unbounded' ? 'any batch fits' : 'no batch fits'),
      ],
    );
    // under parallelism: the code lens' per-device line, its "per GPU: " as the row's name
    const perDevice = perDeviceView(model);
    if (perDevice) {
      const head = `per ${perDevice.kind}: `;
      totals.push([`per ${perDevice.kind}`, perDevice.line.startsWith(head) ? perDevice.line.slice(head.length) : perDevice.line]);
    }
  }
  if (footprint.overflow) totals.push(['warning', 'some figures exceed 2^53 and are not exact']);
  return [header, '', table(rows), ...omitted, '', 'totals', ...table(totals, false).split('\n').map((l) => `  ${l}`)].join('\n');
}

/** left-align text columns, right-align numeric ones */
function table(rows: string[][], alignNumbers = true): string {
  const widths = rows[0]!.map((_, col) => rows.reduce((m, r) => Math.max(m, (r[col] ?? '').length), 0));
  const numeric = rows[0]!.map((_, col) => rows.every((r, i) => i === 0 || /^[\d,.\s]+[A-Za-z]*$|^\d/.test(r[col] ?? '')));
  return rows
    .map((r) =>
      r
        .map((cell, col) => (alignNumbers && numeric[col] && rows.length > 2 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** the framework's expected peak (nothing for the ideal profile, whose figures are the rows above) */
function expectedRows(result: ExpectedPeakResult, framework: Framework, graph: Graph): string[][] {
  if (framework === 'ideal') return [];
  const label = FRAMEWORK_PROFILES[framework].label;
  if ('reason' in result) return [[`${label} peak`, `not known: ${result.reason}`]];
  const e = result.expected;
  const line = expectedPeakLine(e, graph);
  const where = e.phase === 'step' ? ' (optimizer step)' : e.phase && line !== null ? ` (${e.phase}, line ${line + 1})` : '';
  const b = e.breakdown;
  const split = `weights+buffers ${formatBytes(b.weights + b.buffers)}, activations ${formatBytes(b.activations)}, saved ${formatBytes(b.saved)}, temporaries ${formatBytes(b.temporaries)}, gradients ${formatBytes(b.activationGradients + b.weightGradients)}, optimizer ${formatBytes(b.optimizer)}`;
  return [[`${label} peak`, `${formatBytes(e.bytes)}${where}: ${split}`]];
}

/** `memlens check`: one line per model (its peak against the device and the budget) and each diagnostic */
export function formatCheck(file: string, analysis: DocumentAnalysis, failOver?: number): string {
  const lines: string[] = [];
  for (const { graph, memory } of analysis.models) {
    if (!memory) continue;
    const budget = graph.config.device.memoryBytes;
    const peak = checkedPeak(memory.bytes);
    const expected = memory.bytes.expectedPeak !== null ? `, ${FRAMEWORK_PROFILES[graph.config.framework].label} expects ${formatBytes(memory.bytes.expectedPeak)}` : '';
    const verdict = peak > budget ? 'over the device' : failOver !== undefined && peak > failOver ? `over --fail-over ${formatBytes(failOver)}` : 'fits';
    lines.push(`${file}:${graph.nameRange.start.line + 1}: model ${graph.name}: planned ${formatBytes(memory.bytes.planned)}${expected} / ${formatBytes(budget)} ${graph.config.device.name}: ${verdict}`);
  }
  for (const d of analysis.diagnostics) lines.push(formatDiagnostic(file, d));
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/** the figure a budget is held to: what the framework will hold where its profile covers the model, else the planned peak */
export function checkedPeak(bytes: { readonly planned: number; readonly expectedPeak: number | null }): number {
  return bytes.expectedPeak ?? bytes.planned;
}

/** which positions the KV cache figure is for */
function kvCacheContext(context: number | undefined): string {
  return context === undefined ? ' (each layer\'s written sequence length)' : `, ${formatInt(context)} positions`;
}
