// Per-document cache: text -> DocumentAnalysis, computed at most once per document version
// (and settings generation) and shared by every feature.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeDocument, type AnalyzeOptions } from '../core/analyze';
import type { DocumentAnalysis } from '../core/document';
import type { SourceLanguage } from '../core/frontend';
import { sourceLanguage } from '../core/frontends';

export type Analyzer = (text: string, language: SourceLanguage, options: AnalyzeOptions) => DocumentAnalysis;

interface Entry {
  readonly version: number;
  readonly generation: number;
  readonly analysis: DocumentAnalysis;
}

export class AnalysisCache {
  private readonly entries = new Map<string, Entry>();
  /** bumped when the settings change: every cached analysis is stale */
  private generation = 0;

  constructor(
    private readonly options: () => AnalyzeOptions,
    private readonly analyze: Analyzer = analyzeDocument,
  ) {}

  /** the analysis of this version of the document; undefined for a language we do not read */
  get(doc: TextDocument): DocumentAnalysis | undefined {
    const language = sourceLanguage(doc.languageId);
    if (!language) return undefined;
    const cached = this.entries.get(doc.uri);
    if (cached && cached.version === doc.version && cached.generation === this.generation) return cached.analysis;
    const analysis = this.analyze(doc.getText(), language, { ...this.options(), documentKey: doc.uri });
    this.entries.set(doc.uri, { version: doc.version, generation: this.generation, analysis });
    return analysis;
  }

  invalidateAll(): void {
    this.generation++;
  }

  delete(uri: string): void {
    this.entries.delete(uri);
  }
}
