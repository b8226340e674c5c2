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
  /** the other files the analysis read (local imports, found or not) */
  readonly reads: ReadonlySet<string>;
  /** one of those files changed since: analysed again on the next `get` */
  stale: boolean;
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

  /** `readFile`: how imported files are read (the editor's buffers first); default: the frontends' own (the disk) */
  constructor(
    private readonly options: () => AnalyzeOptions,
    private readonly analyze: Analyzer = analyzeDocument,
    private readonly readFile?: (path: string) => string | undefined,
  ) {}

  /** the analysis of this version of the document; undefined for a language we do not read */
  get(doc: TextDocument): DocumentAnalysis | undefined {
    const language = sourceLanguage(doc.languageId);
    if (!language) return undefined;
    const cached = this.entries.get(doc.uri);
    if (cached && this.current(cached, doc)) return cached.analysis;
    const text = doc.getText();
    const reads = new Set<string>();
    const read = this.readFile;
    const readFile = read && ((path: string) => (reads.add(path), read(path)));
    const analysis = this.analyze(text, language, { ...this.options(), documentKey: doc.uri, ...(readFile ? { readFile } : {}) });
    this.entries.set(doc.uri, { version: doc.version, generation: this.generation, analysis, text, reads, stale: false });
    return analysis;
  }

  /** whether `get` would answer from the cache */
  isFresh(doc: TextDocument): boolean {
    const cached = this.entries.get(doc.uri);
    return cached !== undefined && this.current(cached, doc);
  }

  private current(entry: Entry, doc: TextDocument): boolean {
    return entry.version === doc.version && entry.generation === this.generation && !entry.stale;
  }

  /**
   * The file at `path` changed (edited in the editor, saved, or changed on disk): the documents
   * whose analysis read it are stale. Returns their URIs, for the caller to analyse again; until
   * then `latest` still answers from their analyses.
   */
  fileChanged(path: string): string[] {
    const readers: string[] = [];
    for (const [uri, entry] of this.entries) {
      if (!entry.reads.has(path)) continue;
      entry.stale = true;
      readers.push(uri);
    }
    return readers;
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
    if (cached.version === doc.version) return { analysis: cached.analysis, anchor: IDENTITY_ANCHOR, fresh: !cached.stale };
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
