// The memory view's page script (bundled for the browser into dist/memoryView.js with ECharts):
// draws the server's view data with the editor theme's colours, a model picker, and a batch
// slider; clicks go back to the extension as the line to reveal.
import * as echarts from 'echarts';
import { bufferTooltip, DEFAULT_COLORS, lineAt, perDeviceOption, planOption, stepTooltip, timelineAxis, timelineOption, type ChartColors } from '../../server/src/report/memoryChart';
import type { MemoryViewData } from '../../server/src/report/memoryView';
import type { MemoryViewResult } from '../../server/src/lsp/features/memoryView';
import { formatBytes } from '../../server/src/core/units';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type ToView = { type: 'data'; file: string; result: MemoryViewResult; sliderBatch: number | null } | { type: 'select'; lines: number[] } | { type: 'error'; message: string };

const vscode = acquireVsCodeApi();
const root = document.getElementById('root')!;
root.innerHTML = `<style>
body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
header { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
.over { color: var(--vscode-errorForeground); } .fits { color: var(--vscode-charts-green); }
.chart { width: 100%; height: 340px; } .bar { width: 100%; height: 150px; } h3 { font-weight: 600; margin: 12px 0 0; }
input[type=range] { width: 240px; }
</style>
<header><select id="model" aria-label="model"></select><span id="summary"></span>
<label>batch <input id="batch" type="range" min="1" max="512" step="1"> <span id="batchValue"></span></label><button id="reset">reset</button></header>
<h3>Memory over the steps</h3><div id="timeline" class="chart" role="img" aria-label="memory over the steps"></div>
<h3>Planned buffers (offset x time)</h3><div id="plan" class="chart" role="img" aria-label="planned buffers"></div>
<section id="perDevice" hidden><h3 id="perDeviceTitle"></h3><p id="perDeviceLine"></p><div id="perDeviceBar" class="bar" role="img" aria-label="memory per device"></div></section>
<p id="message"></p>`;

const el = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const timeline = echarts.init(el('timeline'), undefined, { renderer: 'svg' });
const plan = echarts.init(el('plan'), undefined, { renderer: 'svg' });
const perDeviceBar = echarts.init(el('perDeviceBar'), undefined, { renderer: 'svg' });
let result: MemoryViewResult | undefined;
let selected = 0;
let lines = new Set<number>();

/** the theme's chart colours (VS Code sets them as CSS variables on the page), the report's where one is missing */
function themeColors(): ChartColors {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  const k = DEFAULT_COLORS.kinds;
  return {
    text: v('--vscode-foreground', DEFAULT_COLORS.text),
    grid: v('--vscode-editorWidget-border', DEFAULT_COLORS.grid),
    budget: v('--vscode-charts-red', DEFAULT_COLORS.budget),
    peak: v('--vscode-charts-purple', DEFAULT_COLORS.peak),
    kinds: {
      weights: v('--vscode-descriptionForeground', k.weights),
      optimizer: v('--vscode-charts-purple', k.optimizer),
      // no theme colour of its own: the fallback stays distinct from the purple optimizer state
      kvCache: k.kvCache,
      savedActivations: v('--vscode-charts-blue', k.savedActivations),
      activations: v('--vscode-charts-green', k.activations),
      workspace: v('--vscode-charts-yellow', k.workspace),
      gradients: v('--vscode-charts-orange', k.gradients),
    },
  };
}

function draw(): void {
  const data: MemoryViewData | undefined = result?.models[selected];
  if (!data) {
    el('summary').textContent = 'no model with memory figures in this file';
    timeline.clear();
    plan.clear();
    el('perDevice').hidden = true;
    return;
  }
  const colors = themeColors();
  const fits = data.planned <= data.budget;
  el('summary').innerHTML = `planned peak <b id="peak">${formatBytes(data.planned)}</b> of ${formatBytes(data.budget)} (${data.device}) at batch ${data.batch}: <span class="${fits ? 'fits' : 'over'}">${fits ? 'fits' : 'does not fit'}</span>${data.maxBatch !== null ? `, fits up to batch ${data.maxBatch}` : ''}${data.expectedPeak !== null ? `; ${data.framework} expects ${formatBytes(data.expectedPeak)}` : ''}${perDeviceSummary(data)}`;
  timeline.setOption(withTimelineHover(timelineOption(data, colors), data, colors), true);
  plan.setOption(withPlanHover(planOption(data, colors, lines), data), true);
  drawPerDevice(data, colors);
}

/** under parallelism, after the whole batch's figures: "; per GPU 18.8 GiB: fits" */
function perDeviceSummary(data: MemoryViewData): string {
  const d = data.perDevice;
  if (!d || d.total === null) return '';
  const fits = d.total <= d.budget;
  return `; per ${d.kind} <b id="perDeviceTotal">${formatBytes(d.total)}</b>: <span class="${fits ? 'fits' : 'over'}">${fits ? 'fits' : 'does not fit'}</span>`;
}

/** under parallelism: the code lens' per-device line and one device's bar against its budget */
function drawPerDevice(data: MemoryViewData, colors: ChartColors): void {
  const d = data.perDevice;
  el('perDevice').hidden = !d;
  if (!d) return;
  el('perDeviceTitle').textContent = `Per ${d.kind}`;
  el('perDeviceLine').textContent = d.line;
  const option = perDeviceOption(d, colors);
  el('perDeviceBar').hidden = !option;
  if (option) {
    perDeviceBar.setOption({ ...option, tooltip: { ...(option.tooltip as object), ...hoverStyle() } }, true);
    // drawn while hidden it had no width
    perDeviceBar.resize();
  } else perDeviceBar.clear();
}

/** the hovers look like the editor's (its hover widget's colours) */
function hoverStyle(): Record<string, unknown> {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return { backgroundColor: v('--vscode-editorHoverWidget-background', '#ffffff'), borderColor: v('--vscode-editorHoverWidget-border', '#cccccc'), textStyle: { color: v('--vscode-editorHoverWidget-foreground', '#333333') } };
}

/** the options are plain JSON (shared with the HTML report); the hovers' formatters are added here */
function withTimelineHover(option: Record<string, unknown>, data: MemoryViewData, colors: ChartColors): Record<string, unknown> {
  const formatter = (params: { dataIndex?: number }[] | { dataIndex?: number }): string => stepTooltip(data, (Array.isArray(params) ? params[0] : params)?.dataIndex ?? -1, colors);
  return { ...option, tooltip: { ...(option.tooltip as object), ...hoverStyle(), formatter } };
}

function withPlanHover(option: Record<string, unknown>, data: MemoryViewData): Record<string, unknown> {
  const formatter = (p: { componentType?: string; data?: { value?: unknown } }): string => {
    const id = p.data?.value;
    const buffer = p.componentType === 'markArea' && typeof id === 'number' ? data.buffers[id] : undefined;
    return buffer ? bufferTooltip(buffer) : '';
  };
  return { ...option, tooltip: { ...(option.tooltip as object), ...hoverStyle(), formatter } };
}

window.addEventListener('message', (event: MessageEvent<ToView>) => {
  const m = event.data;
  if (m.type === 'error') {
    el('message').textContent = `memlens: ${m.message}`;
    return;
  }
  if (m.type === 'select') {
    lines = new Set(m.lines);
    const data = result?.models[selected];
    if (data) plan.setOption(withPlanHover(planOption(data, themeColors(), lines), data), true);
    return;
  }
  const previous = result?.models[selected]?.model;
  result = m.result;
  const kept = result.models.findIndex((x) => x.model === previous);
  selected = kept >= 0 ? kept : Math.max(0, result.active);
  const picker = el<HTMLSelectElement>('model');
  picker.innerHTML = result.models.map((x, i) => `<option value="${i}">${x.model} (line ${x.line + 1})</option>`).join('');
  picker.value = String(selected);
  const slider = el<HTMLInputElement>('batch');
  const batch = result.models[selected]?.batch ?? result.configuredBatch ?? 1;
  // up to twice the largest batch that fits (so the crossing shows), within what the server draws
  slider.max = String(Math.min(65536, Math.max(512, batch * 4, 2 * (result.models[selected]?.maxBatch ?? 0))));
  slider.value = String(batch);
  el('batchValue').textContent = String(batch);
  draw();
});

el<HTMLSelectElement>('model').addEventListener('change', (e) => {
  selected = Number((e.target as HTMLSelectElement).value);
  draw();
});
el<HTMLInputElement>('batch').addEventListener('input', (e) => {
  el('batchValue').textContent = (e.target as HTMLInputElement).value;
});
el<HTMLInputElement>('batch').addEventListener('change', (e) => vscode.postMessage({ type: 'batch', batch: Number((e.target as HTMLInputElement).value) }));
el('reset').addEventListener('click', () => vscode.postMessage({ type: 'batch', batch: null }));

// a click on a buffer reveals the line that makes it; on a band of the timeline, the line making the
// largest tensor of that kind live at the step (the step's own line for weights and optimizer state)
plan.on('click', (p) => {
  const id = (p.data as { value?: unknown } | null)?.value;
  const buffer = p.componentType === 'markArea' && typeof id === 'number' ? result?.models[selected]?.buffers[id] : undefined;
  if (buffer) vscode.postMessage({ type: 'reveal', line: buffer.line });
});
timeline.getZr().on('click', (e: { offsetX: number; offsetY: number }) => {
  const data = result?.models[selected];
  if (!data) return;
  const [x, y] = timeline.convertFromPixel({ gridIndex: 0 }, [e.offsetX, e.offsetY]) as number[];
  const line = lineAt(data, Math.round(x!), y! * timelineAxis(data).divisor);
  if (line !== null) vscode.postMessage({ type: 'reveal', line });
});
window.addEventListener('resize', () => {
  timeline.resize();
  plan.resize();
  perDeviceBar.resize();
});
vscode.postMessage({ type: 'ready' });
