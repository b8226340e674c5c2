// The report formats of the CLI, by name: each turns the analysed files into one output text. A
// new format is one file in this folder and one entry here.
import type { AnalysedFile } from './analysedFile';
import { toJsonReport } from './json';
import { formatHtml } from './html';
import { formatMarkdown } from './markdown';
import { toSarif, type SarifTool } from './sarif';
import { formatReport } from './text';

export type { AnalysedFile } from './analysedFile';


export interface FormatContext {
  readonly tool: SarifTool;
  readonly timeline: boolean;
  /** `report` prints one file's JSON object (the format since the first release); `check` an array */
  readonly single: boolean;
}

export type ReportFormat = (files: readonly AnalysedFile[], context: FormatContext) => string;

export const REPORT_FORMATS: Readonly<Record<string, ReportFormat>> = {
  text: (files, c) => files.map((f) => formatReport(f.path, f.analysis, { timeline: c.timeline })).join('\n'),
  json: (files, c) => {
    const reports = files.map((f) => toJsonReport(f.path, f.analysis));
    return JSON.stringify(c.single && reports.length === 1 ? reports[0] : reports, null, 2) + '\n';
  },
  sarif: (files, c) => JSON.stringify(toSarif(files, c.tool), null, 2) + '\n',
  markdown: (files) => formatMarkdown(files.map((f) => toJsonReport(f.path, f.analysis))) + '\n',
  html: (files) => formatHtml(files),
};

export const FORMAT_NAMES = Object.keys(REPORT_FORMATS);
