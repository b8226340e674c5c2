// Code actions: for each lint finding under the cursor its quick fixes (titles carry the figures the
// core computed by re-analysing the edited text) and an ignore comment; plus
// `source.fixAll.memlens`, every reported missed in-place at once.
import { CodeActionKind, type CodeAction, type CodeActionParams, type TextEdit as LspTextEdit } from 'vscode-languageserver';
import type { AnalyzeOptions } from '../../core/analyze';
import type { DocumentAnalysis, Finding } from '../../core/document';
import type { SourceLanguage } from '../../core/frontend';
import type { TextEdit } from '../../core/fixes/edits';
import { previewFix, previewFixAll, previewIgnore, type FixSource } from '../../core/fixes/preview';
import { comparePositions, toLspRange } from '../position';
import { toLspDiagnostic } from './diagnostics';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.memlens`;

export interface CodeActionInput {
  readonly uri: string;
  readonly text: string;
  readonly language: SourceLanguage;
  readonly options: AnalyzeOptions;
  readonly analysis: DocumentAnalysis;
}

function wanted(only: readonly string[] | undefined, kind: string): boolean {
  return !only || only.length === 0 || only.some((k) => kind === k || kind.startsWith(`${k}.`));
}

function overlaps(f: Finding, range: CodeActionParams['range']): boolean {
  return comparePositions(f.range.start, range.end) <= 0 && comparePositions(range.start, f.range.end) <= 0;
}

function lspEdits(edits: readonly TextEdit[]): LspTextEdit[] {
  return edits.map((e) => ({ range: toLspRange(e.range), newText: e.newText }));
}

export function codeActions(input: CodeActionInput, params: Pick<CodeActionParams, 'range' | 'context'>): CodeAction[] {
  const only = params.context.only;
  const src: FixSource = { text: input.text, language: input.language, options: input.options, analysis: input.analysis };
  const out: CodeAction[] = [];
  const edit = (edits: readonly TextEdit[]) => ({ changes: { [input.uri]: lspEdits(edits) } });
  if (wanted(only, CodeActionKind.QuickFix)) {
    for (const finding of input.analysis.findings ?? []) {
      if (!overlaps(finding, params.range)) continue;
      const diagnostics = [toLspDiagnostic(finding, input.uri)];
      finding.fixes.forEach((fix, i) => {
        const preview = previewFix(src, finding, fix);
        if (!preview) return;
        out.push({ title: preview.title, kind: CodeActionKind.QuickFix, diagnostics, isPreferred: i === 0, edit: edit(preview.edits) });
      });
      const ignore = previewIgnore(src, finding);
      out.push({ title: ignore.title, kind: CodeActionKind.QuickFix, diagnostics, edit: edit(ignore.edits) });
    }
  }
  if (wanted(only, CodeActionKind.QuickFix)) {
    // a frontend's own fixes (NNM402's input pragma): plain edits, no preview needed
    for (const d of input.analysis.diagnostics) {
      if (!d.quickFix || comparePositions(d.range.start, params.range.end) > 0 || comparePositions(params.range.start, d.range.end) > 0) continue;
      out.push({ title: d.quickFix.title, kind: CodeActionKind.QuickFix, diagnostics: [toLspDiagnostic(d, input.uri)], isPreferred: true, edit: edit(d.quickFix.edits) });
    }
  }
  if (only && only.some((k) => FIX_ALL_KIND === k || FIX_ALL_KIND.startsWith(`${k}.`))) {
    const all = previewFixAll(src);
    if (all) out.push({ title: all.title, kind: FIX_ALL_KIND, edit: edit(all.edits) });
  }
  return out;
}

/** every quick-fix preview of the document's findings (not fixAll: that one runs on save) */
function pendingPreviews(input: CodeActionInput): (() => void)[] {
  const src: FixSource = { text: input.text, language: input.language, options: input.options, analysis: input.analysis };
  return (input.analysis.findings ?? []).flatMap((f) => f.fixes.map((fix) => () => void previewFix(src, f, fix)));
}

/**
 * Computes fix previews (one re-analysis each) once a document has been idle for a while, one per
 * event-loop turn, stopping as soon as the document changes: the lightbulb then answers from the
 * memo instead of re-analysing while the user waits.
 */
export class PreviewWarmer {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly idleMs: number) {}

  /** `input` returns undefined once the document is no longer the version that was published */
  schedule(uri: string, input: () => CodeActionInput | undefined): void {
    this.cancel(uri);
    const step = (jobs: (() => void)[]): void => {
      const job = jobs.shift();
      if (!job || !input()) {
        this.timers.delete(uri);
        return;
      }
      job();
      this.arm(uri, () => step(jobs), 0);
    };
    this.arm(uri, () => {
      const first = input();
      if (first) step(pendingPreviews(first));
    }, this.idleMs);
  }

  cancel(uri: string): void {
    const t = this.timers.get(uri);
    if (t) clearTimeout(t);
    this.timers.delete(uri);
  }

  private arm(uri: string, fn: () => void, ms: number): void {
    const t = setTimeout(fn, ms);
    t.unref?.();
    this.timers.set(uri, t);
  }
}
