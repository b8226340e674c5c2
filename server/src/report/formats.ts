// The report formats of the CLI, by name: each turns the analysed files into the output text, in
// pieces the CLI writes one after another (JSON's rows are produced as they are written). A new
// format is one file in this folder and one entry here.
import type { AnalysedFile } from './analysedFile';
import { toJsonReport } from './json';
import { inChunks, jsonParts } from './jsonStream';
import { formatHtml } from './html';
import { formatMarkdown } from './markdown';
import { toSarif, type SarifTool } from './sarif';
import { formatReport } from './text';

export type { AnalysedFile } from './analysedFile';


export interface FormatContext {
  readonly tool: SarifTool;
  readonly timeline: boolean;
  /** every row: the text table's every tensor, the JSON's `tensors` and `steps` */
  readonly detail: boolean;
  /** `report` prints one file's JSON object (the format since the first release); `check` an array */
  readonly single: boolean;
}

/** the output text as the pieces it is written in */
export type ReportFormat = (files: readonly AnalysedFile[], context: FormatContext) => Iterable<string>;

export const REPORT_FORMATS: Readonly<Record<string, ReportFormat>> = {
  text: (files, c) => files.map((f, i) => (i > 0 ? '\n' : '') + formatReport(f.path, f.analysis, { timeline: c.timeline, detail: c.detail })),
  // compact: indentation made a 100,000-op report's JSON several times longer than its figures
  json: (files, c) => inChunks(jsonParts(files, c.single, { detail: c.detail })),
  sarif: (files, c) => [JSON.stringify(toSarif(files, c.tool), null, 2) + '\n'],
  markdown: (files) => [formatMarkdown(files.map((f) => toJsonReport(f.path, f.analysis))) + '\n'],
  html: (files) => [formatHtml(files)],
};

export const FORMAT_NAMES = Object.keys(REPORT_FORMATS);
