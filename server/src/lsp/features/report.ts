// `memlens/report`: the CLI's text report for one open document (command "memlens: Show Memory Report").
import { ProtocolRequestType } from 'vscode-languageserver/node';
import type { DocumentAnalysis } from '../../core/document';
import { formatReport } from '../../report/text';

export interface ReportParams {
  readonly uri: string;
}
export interface ReportResult {
  readonly text: string;
}

export const ReportRequest = new ProtocolRequestType<ReportParams, ReportResult, never, void, void>('memlens/report');

export function report(analysis: DocumentAnalysis, uri: string): ReportResult {
  const name = decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
  return { text: formatReport(name, analysis) };
}
