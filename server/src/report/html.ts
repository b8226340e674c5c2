// `memlens report --format html`: one self-contained file for a CI artifact. Each model's two
// pictures (memory over the steps, the planned buffers) are the memory view's ECharts options
// rendered to SVG here, so the file needs no script and no network.
import { formatBytes } from '../core/units';
import type { AnalysedFile } from './analysedFile';
import { perDeviceOption, planOption, timelineOption } from './memoryChart';
import type { MemoryViewData } from './memoryView';
import { modelViewData } from './perDeviceView';

/** the part of ECharts' API the report uses (echarts is an ES module package whose CommonJS build require() loads) */
interface SsrChart {
  setOption(option: Record<string, unknown>): void;
  renderToSVGString(): string;
  dispose(): void;
}
interface EChartsSsr {
  init(dom: null, theme: null, options: { renderer: 'svg'; ssr: true; width: number; height: number }): SsrChart;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const echarts = require('echarts') as EChartsSsr;

const WIDTH = 960;
const HEIGHT = 360;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** an ECharts option drawn to an SVG string, without a DOM */
export function renderSvg(option: Record<string, unknown>, width = WIDTH, height = HEIGHT): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** under parallelism: the code lens' per-device line and the bar of what one device holds */
function perDeviceSection(data: MemoryViewData): string {
  const d = data.perDevice;
  if (!d) return '';
  const option = perDeviceOption(d);
  return `<h3>Per ${escape(d.kind)}</h3>\n<p>${escape(d.line)}</p>\n${option ? `<figure class="chart" data-chart="perDevice">${renderSvg(option, undefined, 160)}</figure>\n` : ''}`;
}

function modelSection(path: string, data: MemoryViewData): string {
  const fits = data.planned <= data.budget;
  const figures = [
    ['planned peak', formatBytes(data.planned)],
    ['lower bound', formatBytes(data.lowerBound)],
    ...(data.expectedPeak !== null ? [[`expected (${data.framework})`, formatBytes(data.expectedPeak)]] : []),
    ['device', `${formatBytes(data.budget)} (${data.device})`],
    ['largest batch that fits', data.maxBatch === null ? '–' : String(data.maxBatch)],
  ];
  return `<section>
<h2>${escape(data.model)} <small>${escape(path)}:${data.line + 1} · ${escape(data.mode)}, batch ${data.batch}, ${escape(data.precision)}</small> <span class="${fits ? 'fits' : 'over'}">${fits ? 'fits' : 'over budget'}</span></h2>
<table>${figures.map(([k, v]) => `<tr><th>${escape(k!)}</th><td>${escape(v!)}</td></tr>`).join('')}</table>
<h3>Memory over the steps</h3>
<figure class="chart" data-chart="timeline">${renderSvg(timelineOption(data))}</figure>
<h3>Planned buffers (offset x time)</h3>
<figure class="chart" data-chart="plan">${renderSvg(planOption(data))}</figure>
${perDeviceSection(data)}</section>`;
}

export function formatHtml(files: readonly AnalysedFile[]): string {
  const sections: string[] = [];
  const problems: string[] = [];
  for (const f of files) {
    for (const m of f.analysis.models) {
      const data = modelViewData(m);
      if (data) sections.push(modelSection(f.path, data));
    }
    for (const d of f.analysis.diagnostics) {
      if (d.severity !== 'error' && d.severity !== 'warning') continue;
      problems.push(`<li class="${d.severity}"><code>${escape(f.path)}:${d.range.start.line + 1}:${d.range.start.character + 1}</code> <b>${escape(d.code)}</b> ${escape(d.message)}</li>`);
    }
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>memlens memory report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h2 small { font-weight: normal; color: #666; font-size: 13px; }
.fits { color: #1a7f37; font-size: 13px; } .over { color: #d13438; font-size: 13px; }
table { border-collapse: collapse; } th { text-align: left; padding-right: 16px; font-weight: normal; color: #555; }
figure.chart { margin: 0 0 16px; } li.error b { color: #d13438; } li.warning b { color: #9a6700; }
section { border-top: 1px solid #ddd; margin-top: 16px; }
</style>
</head>
<body>
<h1>memlens memory report</h1>
<p>${files.length} file${files.length === 1 ? '' : 's'}, ${sections.length} model${sections.length === 1 ? '' : 's'}</p>
${sections.join('\n')}
${problems.length > 0 ? `<section><h2>Errors and warnings</h2><ul>${problems.join('\n')}</ul></section>` : ''}
</body>
</html>
`;
}
