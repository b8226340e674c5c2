// Per-document cache: text -> DocumentAnalysis, computed at most once per document version
// (and settings generation) and shared by every feature. `latest` answers requests without
// waiting: the newest analysis of the document, whatever its version, with an anchor that maps
// positions between the text it was made from and the current one.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeDocument, type AnalyzeOptions } from '../core/analyze';
import type { DocumentAnalysis } from '../core/document';
import type { SourceLanguage } from '../core/frontend';
import { sourceLanguage } from '../core/frontends';
import { anchorBetween, IDENTITY_ANCHOR, type TextAnchor } from './anchor';

export type Analyzer = (text: string, language: SourceLanguage, options: AnalyzeOptions) => DocumentAnalysis;

interface Entry {
  readonly version: number;
  readonly generation: number;
  readonly analysis: DocumentAnalysis;
  /** the text analysed: the document object itself is updated in place by later edits */
  readonly text: string;
  /** the anchor to the document at `anchoredVersion`, kept while no further edit arrives */
  anchor?: TextAnchor;
  anchoredVersion?: number;
}

export interface Answerable {
  readonly analysis: DocumentAnalysis;
  /** current text <-> the analysed text; the identity when the analysis is of this version */
  readonly anchor: TextAnchor;
  readonly fresh: boolean;
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
    const text = doc.getText();
    const analysis = this.analyze(text, language, { ...this.options(), documentKey: doc.uri });
    this.entries.set(doc.uri, { version: doc.version, generation: this.generation, analysis, text });
    return analysis;
  }

  /** whether `get` would answer from the cache */
  isFresh(doc: TextDocument): boolean {
    const cached = this.entries.get(doc.uri);
    return cached !== undefined && cached.version === doc.version && cached.generation === this.generation;
  }

  /**
   * The newest analysis of this document under the current settings, anchored to its current text;
   * analysed now only when there is none (just opened, or the settings changed).
   */
  latest(doc: TextDocument): Answerable | undefined {
    const cached = this.entries.get(doc.uri);
    if (!cached || cached.generation !== this.generation) {
      const analysis = this.get(doc);
      return analysis && { analysis, anchor: IDENTITY_ANCHOR, fresh: true };
    }
    if (cached.version === doc.version) return { analysis: cached.analysis, anchor: IDENTITY_ANCHOR, fresh: true };
    if (cached.anchoredVersion !== doc.version || !cached.anchor) {
      cached.anchor = anchorBetween(cached.text, doc.getText());
      cached.anchoredVersion = doc.version;
    }
    return { analysis: cached.analysis, anchor: cached.anchor, fresh: false };
  }

  invalidateAll(): void {
    this.generation++;
  }

  delete(uri: string): void {
    this.entries.delete(uri);
  }
}
