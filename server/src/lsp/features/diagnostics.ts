// CoreDiagnostic -> LSP Diagnostic.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { CoreDiagnostic, Severity } from '../../core/ir';
import type { DocumentAnalysis } from '../../core/document';
import { toLspRange } from '../position';
import { docHref } from '../../core/diagnosticCatalog';

const SEVERITY: Readonly<Record<Severity, DiagnosticSeverity>> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspDiagnostic(d: CoreDiagnostic, uri: string): Diagnostic {
  const out: Diagnostic = {
    range: toLspRange(d.range),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'memlens',
    message: d.message,
  };
  if (d.doc) out.codeDescription = { href: docHref(d.doc) };
  if (d.related && d.related.length > 0) {
    out.relatedInformation = d.related.map((r) => ({ location: { uri, range: toLspRange(r.range) }, message: r.message }));
  }
  return out;
}

export function documentDiagnostics(analysis: DocumentAnalysis, uri: string): Diagnostic[] {
  return analysis.diagnostics.map((d) => toLspDiagnostic(d, uri));
}
