// ECharts options for the memory view's two pictures, as plain JSON (no functions), so that the
// same option draws in the VS Code webview (sent over LSP) and, rendered to SVG, in the HTML report.
import { formatBytes } from '../core/units';
import { DEVICE_PART_LABELS, DEVICE_PARTS, KIND_LABELS, VIEW_KINDS, type DevicePart, type MemoryViewData, type ViewBuffer, type ViewKind, type ViewPerDevice, type ViewStep } from './memoryView';

export interface ChartColors {
  readonly text: string;
  readonly grid: string;
  readonly budget: string;
  readonly peak: string;
  readonly kinds: Readonly<Record<ViewKind, string>>;
}

/** the report's colours; the webview replaces them with the editor theme's chart colours */
export const DEFAULT_COLORS: ChartColors = {
  text: '#444444',
  grid: '#dddddd',
  budget: '#d13438',
  peak: '#8a3ffc',
  kinds: { weights: '#6e7781', optimizer: '#a371f7', kvCache: '#bf4b8a', savedActivations: '#2f81f7', activations: '#56d4dd', workspace: '#e3b341', gradients: '#f0883e' },
};

/** an axis in bytes with binary units: ticks at whole MiB / GiB steps read as the hover does */
function bytesAxis(max: number): { max: number; interval: number; unit: string; divisor: number } {
  const units: [string, number][] = [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024], ['B', 1]];
  const [unit, divisor] = units.find(([, d]) => max >= d * 2) ?? ['B', 1];
  const raw = max / divisor / 5;
  const step = [1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw || 1))).find((s) => s >= raw) ?? raw;
  return { max: Math.ceil(max / divisor / step) * step, interval: step, unit, divisor };
}

type EChartsOption = Record<string, unknown>;

/** the timeline's byte axis: whether the budget is drawn, and the unit its values are in */
export function timelineAxis(data: MemoryViewData): { readonly showBudget: boolean; readonly unit: string; readonly divisor: number; readonly max: number; readonly interval: number } {
  const peakTotal = Math.max(0, ...data.steps.map((s) => s.total));
  const showBudget = data.budget <= peakTotal * 4;
  return { showBudget, ...bytesAxis(Math.max(peakTotal, showBudget ? data.budget : 0)) };
}

/** names come from the user's file: escaped before they go into a tooltip's HTML */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** one line of a tooltip naming a buffer: tensor, shape, bytes, kind, the line that makes it */
function bufferLine(b: ViewBuffer): string {
  return `<b>${escapeHtml(b.label)}</b>${b.shape ? ` ${escapeHtml(b.shape)}` : ''} ${formatBytes(b.bytes)}, ${KIND_LABELS[b.kind]}, line ${b.line + 1}`;
}

/** a planned rectangle's hover: its tensor, shape, bytes and kind, the steps it is live, the line that makes it */
export function bufferTooltip(b: ViewBuffer): string {
  return `${bufferLine(b)}<br>live at steps ${b.from}-${b.to}, offset ${formatBytes(b.offset)}`;
}

/** a step's hover on the timeline: the step, its live bytes by kind (top band first), and the largest tensors live there */
export function stepTooltip(data: MemoryViewData, index: number, colors: ChartColors = DEFAULT_COLORS): string {
  const step = data.steps[index];
  if (!step) return '';
  const where = [step.phase, ...(step.line !== null ? [`line ${step.line + 1}`] : [])].join(', ');
  const dot = (color: string): string => `<span style="display:inline-block;width:8px;height:8px;border-radius:4px;margin-right:4px;background:${escapeHtml(color)}"></span>`;
  const kinds = [...VIEW_KINDS].reverse().filter((k) => step.bytes[k] > 0).map((k) => `${dot(colors.kinds[k])}${KIND_LABELS[k]} ${formatBytes(step.bytes[k])}`);
  const tensors = step.largest.flatMap((id) => (data.buffers[id] ? [bufferLine(data.buffers[id])] : []));
  return [`<b>step ${step.index} ${escapeHtml(step.op ?? step.phase)}</b> (${where}): ${formatBytes(step.total)} live`, ...kinds, ...(tensors.length > 0 ? ['largest tensors live here:', ...tensors] : [])].join('<br>');
}

/** the band a point of the timeline falls in (`bytes` up the stack at that step); null above the stack */
export function kindAt(step: ViewStep, bytes: number): ViewKind | null {
  if (bytes < 0) return null;
  let top = 0;
  for (const kind of VIEW_KINDS) {
    top += step.bytes[kind];
    if (bytes < top) return kind;
  }
  return null;
}

/** the line a click on the timeline reveals: the line making the largest tensor of the band clicked, else the step's own */
export function lineAt(data: MemoryViewData, index: number, bytes: number): number | null {
  const step = data.steps[index];
  if (!step) return null;
  const kind = kindAt(step, bytes);
  const id = kind === null ? undefined : step.largestOfKind[kind];
  return (id !== undefined ? data.buffers[id]?.line : undefined) ?? step.line;
}

/** the peak step's label: the most bytes live at one step, and the planned peak (the code lens' and the status bar's) where the plan's reuse leaves gaps */
export function peakLabel(live: number, planned: number): string {
  return planned === live ? `peak ${formatBytes(live)}` : `peak ${formatBytes(live)} live, planned ${formatBytes(planned)}`;
}

/** memory over the schedule's steps, stacked by kind, with the budget and the peak step marked */
export function timelineOption(data: MemoryViewData, colors: ChartColors = DEFAULT_COLORS): EChartsOption {
  const peakTotal = Math.max(0, ...data.steps.map((s) => s.total));
  const { showBudget, ...axis } = timelineAxis(data);
  const scaled = (n: number): number => Number((n / axis.divisor).toPrecision(6));
  const phaseStart = data.steps.findIndex((s) => s.phase === 'backward');
  return {
    animation: false,
    textStyle: { color: colors.text },
    // the KV cache exists in generate mode only: not a legend entry of every other model
    legend: { top: 0, textStyle: { color: colors.text }, data: VIEW_KINDS.filter((k) => k !== 'kvCache' || data.steps.some((s) => s.bytes.kvCache > 0)).map((k) => KIND_LABELS[k]) },
    // a budget far above the peak would flatten the picture: it is then written, not drawn
    ...(showBudget ? {} : { title: { right: 24, top: 36, text: '', subtext: `budget ${formatBytes(data.budget)} (${data.device}): ${(data.budget / Math.max(1, peakTotal)).toFixed(1)}x the peak, above the chart`, subtextStyle: { color: colors.budget } } }),
    // the budget note gets its own row above the grid, under the legend, clear of the peak's label
    grid: { left: 64, right: 24, top: showBudget ? 56 : 84, bottom: 48 },
    // the webview adds the formatter (stepTooltip): options stay plain JSON
    tooltip: { trigger: 'axis', confine: true },
    xAxis: {
      type: 'category',
      name: 'step',
      nameLocation: 'middle',
      nameGap: 28,
      boundaryGap: false,
      data: data.steps.map((s) => `${s.index} ${s.op ?? s.phase}${s.line !== null ? `, line ${s.line + 1}` : ''}`),
      axisLabel: { color: colors.text, formatter: '{value}', showMaxLabel: true, hideOverlap: true, interval: Math.max(0, Math.floor(data.steps.length / 6) - 1) },
    },
    yAxis: { type: 'value', name: axis.unit, max: axis.max, interval: axis.interval, axisLabel: { color: colors.text }, splitLine: { lineStyle: { color: colors.grid } } },
    series: VIEW_KINDS.map((kind, i) => ({
      name: KIND_LABELS[kind],
      type: 'line',
      stack: 'memory',
      step: 'end',
      symbol: 'none',
      lineStyle: { width: 0 },
      areaStyle: { color: colors.kinds[kind], opacity: 0.85 },
      itemStyle: { color: colors.kinds[kind] },
      data: data.steps.map((s) => scaled(s.bytes[kind])),
      // the budget and the peak travel with the first series
      ...(i === 0
        ? {
            markLine: {
              symbol: 'none',
              silent: false,
              data: [
                ...(showBudget ? [{ name: 'device budget', yAxis: scaled(data.budget), lineStyle: { color: colors.budget, width: 2 }, label: { formatter: `budget ${formatBytes(data.budget)} (${data.device})`, position: 'insideEndTop', color: colors.budget } }] : []),
                ...(data.peakStep !== null ? [{ name: 'peak', xAxis: data.peakStep, lineStyle: { color: colors.peak, type: 'dashed' }, label: { formatter: peakLabel(peakTotal, data.planned), color: colors.peak } }] : []),
                ...(phaseStart > 0 ? [{ name: 'backward', xAxis: phaseStart, lineStyle: { color: colors.grid, type: 'dotted' }, label: { formatter: 'backward', position: 'insideStartTop', color: colors.text } }] : []),
              ],
            },
          }
        : {}),
    })),
  };
}

/** the planned arena: each buffer a rectangle from its first to its last step, at its offset */
export function planOption(data: MemoryViewData, colors: ChartColors = DEFAULT_COLORS, highlightLines: ReadonlySet<number> = new Set()): EChartsOption {
  const top = Math.max(1, ...data.buffers.map((b) => b.offset + b.bytes));
  const axis = bytesAxis(top);
  const scaled = (n: number): number => Number((n / axis.divisor).toPrecision(6));
  const byKind = new Map<ViewKind, unknown[]>();
  for (const b of data.buffers) {
    const list = byKind.get(b.kind) ?? [];
    const lit = highlightLines.has(b.line);
    list.push([
      { name: `${b.label}${b.shape ? ` ${b.shape}` : ''}: ${formatBytes(b.bytes)}, steps ${b.from}-${b.to}, line ${b.line + 1}`, xAxis: b.from, yAxis: scaled(b.offset), itemStyle: { color: colors.kinds[b.kind], opacity: lit ? 1 : 0.7, borderColor: lit ? colors.peak : colors.text, borderWidth: lit ? 2 : 0.3 }, value: b.id },
      { xAxis: b.to + 1, yAxis: scaled(b.offset + b.bytes) },
    ]);
    byKind.set(b.kind, list);
  }
  const steps = data.steps.length;
  return {
    animation: false,
    textStyle: { color: colors.text },
    legend: { top: 0, textStyle: { color: colors.text }, data: VIEW_KINDS.filter((k) => byKind.has(k)).map((k) => KIND_LABELS[k]) },
    grid: { left: 64, right: 24, top: 40, bottom: 48 },
    // the webview adds the formatter (bufferTooltip of the rectangle's buffer id, its value)
    tooltip: { trigger: 'item', confine: true },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 28, min: 0, max: Math.max(1, steps), axisLabel: { color: colors.text }, splitLine: { show: false } },
    yAxis: { type: 'value', name: `offset (${axis.unit})`, min: 0, max: axis.max, interval: axis.interval, axisLabel: { color: colors.text }, splitLine: { lineStyle: { color: colors.grid } } },
    series: VIEW_KINDS.filter((k) => byKind.has(k)).map((kind) => ({
      name: KIND_LABELS[kind],
      type: 'line',
      data: [],
      itemStyle: { color: colors.kinds[kind] },
      markArea: { silent: false, label: { show: false }, data: byKind.get(kind) },
    })),
  };
}

/** the per-device parts in the timeline's colours: activations in the saved-activation blue */
const PART_COLOR: Readonly<Record<DevicePart, ViewKind>> = {
  weights: 'weights',
  gradients: 'gradients',
  optimizer: 'optimizer',
  kvCache: 'kvCache',
  activations: 'savedActivations',
  workspace: 'workspace',
};

/** one device's memory as a bar stacked by part against the device budget; null when there is no figure */
export function perDeviceOption(d: ViewPerDevice, colors: ChartColors = DEFAULT_COLORS): EChartsOption | null {
  const bytes = d.bytes;
  if (!bytes || d.total === null) return null;
  const axis = bytesAxis(Math.max(d.total, d.budget));
  const scaled = (n: number): number => Number((n / axis.divisor).toPrecision(6));
  const parts = DEVICE_PARTS.filter((p) => bytes[p] > 0);
  return {
    animation: false,
    textStyle: { color: colors.text },
    legend: { top: 0, textStyle: { color: colors.text }, data: parts.map((p) => DEVICE_PART_LABELS[p]) },
    grid: { left: 64, right: 24, top: 40, bottom: 40 },
    tooltip: { trigger: 'item', confine: true },
    xAxis: { type: 'value', name: axis.unit, nameLocation: 'middle', nameGap: 24, max: axis.max, interval: axis.interval, axisLabel: { color: colors.text }, splitLine: { lineStyle: { color: colors.grid } } },
    yAxis: { type: 'category', data: [`per ${d.kind}`], axisLabel: { color: colors.text } },
    series: parts.map((p, i) => ({
      name: DEVICE_PART_LABELS[p],
      type: 'bar',
      stack: 'device',
      barWidth: 28,
      itemStyle: { color: colors.kinds[PART_COLOR[p]] },
      // the tooltip names the part and its bytes (a string: options stay plain JSON)
      data: [{ value: scaled(bytes[p]), name: `${DEVICE_PART_LABELS[p]} ${formatBytes(bytes[p])}` }],
      tooltip: { formatter: `${escapeHtml(DEVICE_PART_LABELS[p])} ${formatBytes(bytes[p])}` },
      ...(i === 0
        ? { markLine: { symbol: 'none', data: [{ name: 'device budget', xAxis: scaled(d.budget), lineStyle: { color: colors.budget, width: 2 }, label: { formatter: `budget ${formatBytes(d.budget)}`, color: colors.budget } }] } }
        : {}),
    })),
  };
}
