// Elaborating a model's statements as the parser meets them. Parsed whole first, a model of
// 100,000 ops held a syntax tree of about 33 MB while it was elaborated: V8 copied and promoted it
// out of the young generation in every analysis, a collector cost a 10,000-op model does not pay.
// Taken one by one, a statement's nodes die young. This is the same elaboration as the whole-file
// path only when nothing below a model changes it: frontend.ts checks that and falls back.
import type { ConfigOverrides } from '../config';
import type { CoreDiagnostic, ModelConfig } from '../ir';
import type { Ident, Item, Statement } from './ast';
import { mergeConfigItems } from './config';
import { Elaborator } from './elaborate';
import type { ModelRun } from './expand';
import type { StreamedSketch } from './outline';
import type { ModelBodyListener } from './parser';
import type { RefCollector } from './refs';
import type { SourceLines } from './source';
import { collectBlocks } from './blocks';

interface OpenModel {
  readonly name: Ident;
  /** its `config` statements met before its first other statement */
  readonly configs: Statement[];
  run: ModelRun | undefined;
  /** per assignment: index, statement start and end, name start and end (ModelSketch's spans) */
  readonly spans: number[];
}

export interface StreamedModel {
  readonly run: ModelRun;
  /** its graph's index */
  readonly graph: number;
  readonly sketch: StreamedSketch;
}

export class ModelStream implements ModelBodyListener {
  /**
   * A model's `config` statement came after another of its statements: it applies to the whole
   * model, statements already elaborated included, so this elaboration is not the model's.
   */
  failed = false;
  elaborator: Elaborator | undefined;
  readonly models: StreamedModel[] = [];
  /** the blocks' and the file configs' diagnostics, then the models', in the whole-file path's order */
  readonly itemDiagnostics: CoreDiagnostic[] = [];
  readonly modelDiagnostics: CoreDiagnostic[] = [];
  private fileConfig: ConfigOverrides = {};
  private open: OpenModel | undefined;

  constructor(
    private readonly refs: RefCollector,
    private readonly lines: SourceLines,
    private readonly defaults: ModelConfig,
    private readonly overrides: ConfigOverrides | undefined,
  ) {}

  modelStart(name: Ident, before: readonly Item[]): void {
    // the first model: every block and file config is above it (else frontend.ts falls back)
    if (!this.elaborator) {
      const blocks = collectBlocks(before, this.itemDiagnostics);
      this.fileConfig = mergeConfigItems(before, this.itemDiagnostics);
      this.elaborator = new Elaborator(blocks, this.modelDiagnostics, this.refs);
    }
    this.open = undefined;
    if (name.name === '') return;
    this.elaborator.nameModel(name);
    this.open = { name, configs: [], run: undefined, spans: [] };
  }

  statement(stmt: Statement, index: number): boolean {
    const open = this.open;
    if (!open || this.failed) return false;
    if (stmt.kind === 'config') {
      if (open.run) this.failed = true;
      else open.configs.push(stmt);
      return false; // kept in the body: references and the outline read configs from there
    }
    const run = (open.run ??= this.start(open));
    run.statement(stmt, index);
    if (stmt.kind === 'assign') open.spans.push(index, stmt.from, stmt.to, stmt.name.from, stmt.name.to);
    return true;
  }

  modelEnd(from: number, to: number): void {
    const open = this.open;
    this.open = undefined;
    if (!open || this.failed) return;
    const run = open.run ?? this.start(open);
    const elaborator = this.elaborator!;
    const graph = elaborator.graphs.length;
    elaborator.graphs.push(run.finish(this.lines.range(from, to)));
    this.models.push({ run, graph, sketch: { spans: open.spans } });
  }

  /** the model's range is known once its body closes: its name's stands in until then */
  private start(open: OpenModel): ModelRun {
    return this.elaborator!.startModel(open.name, open.configs, this.defaults, this.fileConfig, this.overrides, open.name.range);
  }
}
