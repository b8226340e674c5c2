// `memlens report --format sarif`: SARIF 2.1.0 for code scanning (GitHub reads it). One run with
// every code memlens can report as a rule (help linked to the docs), each diagnostic a result with
// its region, and the quick fixes that memlens would offer in the editor as SARIF fixes.
import type { Log, ReportingDescriptor, Result, Fix, Run } from 'sarif';
import type { AnalyzeOptions } from '../core/analyze';
import { DIAGNOSTIC_CATALOG, catalogEntry } from '../core/diagnosticCatalog';
import type { DocumentAnalysis, Finding } from '../core/document';
import type { SourceLanguage } from '../core/frontend';
import type { TextEdit } from '../core/fixes/edits';
import { previewFix } from '../core/fixes/preview';
import type { CoreDiagnostic, Severity, SourceRange } from '../core/ir';

export interface SarifFile {
  /** the path as SARIF shows it: relative to the source root, with forward slashes */
  readonly uri: string;
  readonly text: string;
  readonly language: SourceLanguage;
  readonly options: AnalyzeOptions;
  readonly analysis: DocumentAnalysis;
}

export interface SarifTool {
  readonly version: string;
  /** where the docs live: rule help links are `${docsUri}/${page}#${anchor}` */
  readonly docsUri: string;
  readonly informationUri: string;
  /** the source root the relative URIs resolve against (a file: URI ending in /) */
  readonly sourceRoot?: string;
}

const SOURCE_ROOT = 'SRCROOT';

const LEVEL: Record<Severity, Result.level> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

/** SARIF regions are 1-based; LSP ranges are 0-based in UTF-16 code units, which `columnKind` says */
function region(range: SourceRange): { startLine: number; startColumn: number; endLine: number; endColumn: number } {
  return { startLine: range.start.line + 1, startColumn: range.start.character + 1, endLine: range.end.line + 1, endColumn: range.end.character + 1 };
}

function sarifFix(uri: string, title: string, edits: readonly TextEdit[]): Fix {
  return {
    description: { text: title },
    artifactChanges: [
      {
        artifactLocation: { uri, uriBaseId: SOURCE_ROOT },
        replacements: edits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: e.newText } })),
      },
    ],
  };
}

function isFinding(d: CoreDiagnostic): d is Finding {
  return 'rule' in d && 'fixes' in d;
}

/** the fixes the editor would offer for one diagnostic: the rule's previews (re-analysed), or the frontend's own edit */
function fixesOf(file: SarifFile, d: CoreDiagnostic): Fix[] {
  if (d.quickFix) return [sarifFix(file.uri, d.quickFix.title, d.quickFix.edits)];
  if (!isFinding(d)) return [];
  const src = { text: file.text, language: file.language, options: file.options, analysis: file.analysis };
  return d.fixes.flatMap((spec) => {
    const preview = previewFix(src, d, spec);
    return preview ? [sarifFix(file.uri, preview.title, preview.edits)] : [];
  });
}

function rule(code: string, tool: SarifTool): ReportingDescriptor {
  const entry = catalogEntry(code);
  if (!entry) return { id: code, shortDescription: { text: code } };
  const helpUri = `${tool.docsUri}/${entry.doc}`;
  return {
    id: entry.code,
    name: entry.name,
    shortDescription: { text: entry.summary },
    helpUri,
    help: { text: `${entry.summary}. See ${helpUri}`, markdown: `${entry.summary}. See [${entry.code}](${helpUri}).` },
  };
}

export function toSarif(files: readonly SarifFile[], tool: SarifTool): Log {
  // every code memlens can report is a rule; a code outside the catalog (never expected) still gets one
  const codes = [...DIAGNOSTIC_CATALOG.map((e) => e.code)];
  for (const f of files) for (const d of f.analysis.diagnostics) if (!codes.includes(d.code)) codes.push(d.code);
  const ruleIndex = new Map(codes.map((c, i) => [c, i]));
  const results: Result[] = [];
  for (const file of files) {
    // the lint findings are among the diagnostics, as the same objects, with their fixes
    for (const d of file.analysis.diagnostics) {
      const fixes = fixesOf(file, d);
      results.push({
        ruleId: d.code,
        ruleIndex: ruleIndex.get(d.code)!,
        level: LEVEL[d.severity],
        message: { text: d.message },
        locations: [{ physicalLocation: { artifactLocation: { uri: file.uri, uriBaseId: SOURCE_ROOT }, region: region(d.range) } }],
        ...(d.related && d.related.length > 0
          ? { relatedLocations: d.related.map((r, id) => ({ id, message: { text: r.message }, physicalLocation: { artifactLocation: { uri: file.uri, uriBaseId: SOURCE_ROOT }, region: region(r.range) } })) }
          : {}),
        ...(fixes.length > 0 ? { fixes } : {}),
      });
    }
  }
  const run: Run = {
    tool: { driver: { name: 'memlens', version: tool.version, informationUri: tool.informationUri, rules: codes.map((c) => rule(c, tool)) } },
    columnKind: 'utf16CodeUnits',
    ...(tool.sourceRoot ? { originalUriBaseIds: { [SOURCE_ROOT]: { uri: tool.sourceRoot } } } : {}),
    artifacts: files.map((f) => ({ location: { uri: f.uri, uriBaseId: SOURCE_ROOT }, sourceLanguage: f.language })),
    results,
  };
  return { version: '2.1.0', $schema: 'https://json.schemastore.org/sarif-2.1.0.json', runs: [run] };
}
