// The contract between a language frontend and the core: what a frontend is given, and what it
// hands back. Types only, importing nothing above the IR, so every layer may import it without a cycle.
import type { ConfigOverrides } from './config';
import type { CoreDiagnostic, Framework, Graph, ModelConfig, OpId, Precision, SourceRange, TensorId, ZeroStage } from './ir';
import type { TextEdit } from './fixes/edits';

/** the languages memlens reads, as LSP language ids; core/frontends.ts says which frontend reads each */
export type SourceLanguage = 'nnm' | 'typescript' | 'javascript' | 'python';

export interface FrontendOptions {
  /** the built-in defaults under the editor settings / CLI defaults: where a model's config starts */
  readonly defaults: ModelConfig;
  /** applied over the file's own config (CLI flags such as --batch) */
  readonly overrides?: ConfigOverrides;
  /** the document's URI or path: a frontend may keep state for it between versions (see `forget`) */
  readonly documentKey?: string;
  /** which of the frontend's `languages` the text is written in */
  readonly language: SourceLanguage;
  /** the torch release Python code that tests `torch.__version__` or `hasattr(torch...)` is read against */
  readonly torchVersion?: string;
  /**
   * reads another file of the workspace that the document imports (undefined: it cannot be read);
   * the editor answers from its open documents first. Default: the disk (core/sourceFiles.ts)
   */
  readonly readFile?: (path: string) => string | undefined;
  /** .nnm: elaborate statement by statement as they are parsed, whatever the size (the JIT warm-up's way to that code) */
  readonly stream?: boolean;
}

export interface Frontend {
  /** for messages: "could not load the TypeScript parser" */
  readonly name: string;
  /** the LSP language ids it reads; the client's document selector and activation events list the same */
  readonly languages: readonly SourceLanguage[];
  /** other editor language ids read as one of `languages` (typescriptreact as typescript) */
  readonly languageAliases?: Readonly<Record<string, SourceLanguage>>;
  /** file extensions the CLI reads (lower case, with the dot), each with its language */
  readonly fileExtensions: Readonly<Record<string, SourceLanguage>>;
  /**
   * the longest text (UTF-16 code units) it analyses: above it the file gets NNM001 and nothing
   * else, so that a huge file costs a diagnostic, not seconds of a blocked server and gigabytes
   */
  readonly maxTextLength: number;
  /** what starts a line comment: `memlens-ignore` comments and their quick fix are written with it */
  readonly lineComment: string;
  /** whose allocator the expected peak describes unless a setting, flag or config says otherwise */
  readonly defaultFramework: Framework;
  /** cheap check whether a text is for this frontend at all, before any parser is loaded */
  claims(text: string): boolean;
  /** synchronous once `init` has resolved; before that it may answer with a "still loading" note */
  analyze(text: string, options: FrontendOptions): FrontendResult;
  /** loads what parsing needs (tree-sitter wasm), once; the server calls it on the first claimed document */
  init?(wasmDir?: string): Promise<void>;
  /** whether `init` has resolved */
  isReady?(): boolean;
  /** drops what was kept for a closed document */
  forget?(documentKey: string): void;
  /** a fix's text edits in this language, or undefined when it cannot be written here */
  fixEdits?(text: string, fix: FixSpec, analysis: FrontendResult): readonly TextEdit[] | undefined;
}

/** a fix as data; the title and edits are computed by core/fixes against the document text */
export type FixSpec =
  /** add `inplace: true` to the op calls at these sites */
  | { readonly kind: 'inplace'; readonly sites: readonly SourceRange[]; readonly opName: string }
  /** set the model's `batch:` (editing or inserting it in the model's or the file's config) */
  | { readonly kind: 'batch'; readonly model: string; readonly batch: number; readonly why: string }
  /** set the model's `precision:` */
  | { readonly kind: 'precision'; readonly model: string; readonly precision: Precision }
  /**
   * add `checkpoint: true` to block calls / `repeat`s (their call ranges), or `checkpoint: every`
   * (every k-th block of a repeat); `perDevice`: the title gives the per-device figure (NNM210)
   */
  | { readonly kind: 'checkpoint'; readonly calls: readonly SourceRange[]; readonly label: string; readonly every?: number; readonly perDevice?: boolean }
  /** delete a statement (its whole lines) */
  | { readonly kind: 'removeStatement'; readonly statement: SourceRange; readonly label: string }
  /** set the model's `zero:` stage (data parallelism with ZeRO / FSDP sharding) */
  | { readonly kind: 'zero'; readonly model: string; readonly stage: ZeroStage };


export type SymbolKind = 'model' | 'block' | 'tensor' | 'config' | 'parameter';

/** outline entry (document symbols) */
export interface OutlineSymbol {
  readonly name: string;
  readonly kind: SymbolKind;
  readonly range: SourceRange;
  readonly selectionRange: SourceRange;
  readonly detail?: string;
  readonly children: readonly OutlineSymbol[];
}

/**
 * One identifier occurrence or call in the source, resolved: hover, definition and references
 * are lookups in this list. A name inside a block body resolves to every expanded instance.
 */
export interface SourceRef {
  readonly range: SourceRange;
  readonly kind: 'tensor' | 'op' | 'block' | 'model' | 'parameter' | 'config' | 'note';
  readonly name: string;
  /** where the name is defined (for go-to-definition); equal to `range` on the definition itself */
  readonly definition?: SourceRange;
  readonly isDefinition: boolean;
  /** index into `graphs` of the model it belongs to, when it belongs to one */
  readonly graph?: number;
  /** tensors this occurrence denotes (one per expanded instance) */
  readonly tensors?: readonly TensorId[];
  /** ops this call created (one per expanded instance; a block call: all ops of its expansion) */
  readonly ops?: readonly OpId[];
  /** kind 'note': what memlens decided here, for the hover (a torch-version check's branch) */
  readonly note?: string;
}

export interface BlockInfo {
  readonly name: string;
  readonly params: readonly { name: string; default?: string }[];
  readonly range: SourceRange;
  readonly nameRange: SourceRange;
  readonly doc?: string;
}

/** what a frontend extracts from one document; the analyses add the rest (core/document.ts) */
export interface FrontendResult {
  readonly graphs: readonly Graph[];
  readonly diagnostics: readonly CoreDiagnostic[];
  readonly outline: readonly OutlineSymbol[];
  readonly refs: readonly SourceRef[];
  readonly blocks: readonly BlockInfo[];
}
