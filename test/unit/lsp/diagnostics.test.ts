import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticSeverity } from 'vscode-languageserver';
import { documentDiagnostics, toLspDiagnostic } from '../../../server/src/lsp/features/diagnostics';
import { buildAnalysis, find } from './fixture';

test('a core diagnostic becomes an LSP one with severity, code, source and related information', () => {
  assert.deepEqual(documentDiagnostics(buildAnalysis(), 'file:///tiny.nnm'), [
    {
      range: find(12, 'dense'),
      severity: DiagnosticSeverity.Warning,
      code: 'NNM999',
      source: 'memlens',
      message: 'a test warning',
      relatedInformation: [{ location: { uri: 'file:///tiny.nnm', range: find(7, 'tiny') }, message: 'in this model' }],
    },
  ]);
});

test('severities map one to one; no related information means no field', () => {
  const range = find(0, 'config');
  const severities = (['error', 'warning', 'info', 'hint'] as const).map((severity) => toLspDiagnostic({ range, severity, code: 'X', message: 'm' }, 'u'));
  assert.deepEqual(
    severities.map((d) => d.severity),
    [DiagnosticSeverity.Error, DiagnosticSeverity.Warning, DiagnosticSeverity.Information, DiagnosticSeverity.Hint],
  );
  assert.equal('relatedInformation' in severities[0]!, false);
});
