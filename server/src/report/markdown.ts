// `memlens report --format markdown`: a summary for a pull-request comment. It reads the JSON
// report, so its figures are the JSON's: one table row per model, then the errors and warnings.
import { formatBytes } from '../core/units';
import type { JsonDiagnostic, JsonModel, JsonReport } from './json';

/** at most this many diagnostics are listed per file; the rest are counted */
const LISTED_DIAGNOSTICS = 20;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function bytes(n: number | null): string {
  return n === null ? '–' : formatBytes(n);
}

function fits(m: JsonModel): string {
  if (m.bytes.planned === null) return '–';
  return m.bytes.planned <= m.config.deviceMemory ? '✅ fits' : '❌ over';
}

function expected(m: JsonModel): string {
  if (!m.expected) return '–';
  if ('reason' in m.expected) return `– (${m.expected.framework}: not profiled)`;
  return `${bytes(m.bytes.expectedPeak)} (${m.expected.framework})`;
}

function modelRow(file: string, m: JsonModel): string {
  const params = m.params.trainable + m.params.nonTrainable;
  const cells = [
    `\`${file}\`:${m.line} **${m.name}**`,
    `${m.config.mode}, batch ${m.config.batch}, ${m.config.precision}`,
    params.toLocaleString('en-US'),
    bytes(m.bytes.planned),
    expected(m),
    `${formatBytes(m.config.deviceMemory)} (${m.config.device})`,
    fits(m),
    m.maxBatch === null ? '–' : String(m.maxBatch),
  ];
  return `| ${cells.map(cell).join(' | ')} |`;
}

function diagnosticLine(file: string, d: JsonDiagnostic): string {
  const icon = d.severity === 'error' ? '❌' : '⚠️';
  return `- ${icon} \`${file}:${d.line}:${d.column}\` **${d.code}** ${d.message.replace(/\r?\n/g, ' ')}`;
}

export function formatMarkdown(reports: readonly JsonReport[]): string {
  const out: string[] = ['## memlens memory report', ''];
  const models = reports.flatMap((r) => r.models.map((m) => ({ file: r.file, m })));
  const errors = reports.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'error').length, 0);
  const warnings = reports.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'warning').length, 0);
  const over = models.filter(({ m }) => m.bytes.planned !== null && m.bytes.planned > m.config.deviceMemory).length;
  out.push(`${reports.length} file${reports.length === 1 ? '' : 's'}, ${models.length} model${models.length === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}, ${over} over the device budget.`, '');
  if (models.length > 0) {
    out.push('| model | setting | parameters | planned peak | expected peak | device | fits | max batch |', '| --- | --- | ---: | ---: | ---: | --- | --- | ---: |');
    for (const { file, m } of models) out.push(modelRow(file, m));
    out.push('');
  }
  for (const r of reports) {
    const shown = r.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
    if (shown.length === 0) continue;
    out.push(`### \`${r.file}\``, '');
    for (const d of shown.slice(0, LISTED_DIAGNOSTICS)) out.push(diagnosticLine(r.file, d));
    if (shown.length > LISTED_DIAGNOSTICS) out.push(`- … and ${shown.length - LISTED_DIAGNOSTICS} more`);
    out.push('');
  }
  return out.join('\n');
}
