// One file as the report formats receive it: where it is, its text and how it was analysed.
import type { AnalyzeOptions } from '../core/analyze';
import type { DocumentAnalysis } from '../core/document';
import type { SourceLanguage } from '../core/frontend';

export interface AnalysedFile {
  /** the path as the user gave it or as found under a folder (shown in text and markdown) */
  readonly path: string;
  /** relative to the source root, forward slashes (SARIF's artifact URI) */
  readonly uri: string;
  readonly text: string;
  readonly language: SourceLanguage;
  readonly options: AnalyzeOptions;
  readonly analysis: DocumentAnalysis;
}
