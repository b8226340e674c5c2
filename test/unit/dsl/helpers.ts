// Shared helpers of the .nnm frontend tests.
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import type { ConfigOverrides } from '../../../server/src/core/config';
import type { FrontendResult } from '../../../server/src/core/frontend';
import { analyzeNnm } from '../../../server/src/core/dsl/frontend';
import type { CoreDiagnostic, SourceRange } from '../../../server/src/core/ir';

export function analyze(text: string, overrides?: ConfigOverrides): FrontendResult {
  return analyzeNnm(text, BUILTIN_DEFAULTS, overrides);
}

/** "line:char-line:char" of a range, 0-based */
export function at(range: SourceRange): string {
  return `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;
}

/** compact form of diagnostics: "CODE line:char-line:char" */
export function codes(diagnostics: readonly CoreDiagnostic[]): string[] {
  return diagnostics.map((d) => `${d.code} ${at(d.range)}`);
}

/** a model wrapped around statements */
export function model(...statements: string[]): string {
  return `model m {\n${statements.map((s) => `  ${s}`).join('\n')}\n}\n`;
}
