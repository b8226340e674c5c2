// Elaboration: each model's config, then its statements evaluated (evaluate.ts) and its block
// calls and `repeat` expanded (expand.ts) into a Graph through the GraphBuilder. Linear in the
// size of the expansion, bounded by explicit limits so no input can hang it. Problems inside a
// block body are reported once, however often the body is expanded.
import type { ConfigOverrides } from '../config';
import { mergeConfig } from '../config';
import { GraphBuilder } from '../graphBuilder';
import type { CoreDiagnostic, Graph, ModelConfig, SourceRange, TensorId } from '../ir';
import type { BlockItem, Ident, ModelItem, Statement } from './ast';
import { diag, type CodeName } from './codes';
import { mergeConfigItems } from './config';
import type { ElaborationContext, Frame } from './evaluate';
import { ModelRun } from './expand';
import type { RefCollector } from './refs';

export { LIMITS } from './evaluate';

/** distinct diagnostics kept for one code at one place of a block body */
const MAX_PER_PLACE = 3;

/** what a model's statements produced, by index in its body: the outline shows each one's tensor */
export interface StatementTensors {
  readonly graph: number;
  readonly tensors: (TensorId | undefined)[];
}

export class Elaborator implements ElaborationContext {
  readonly graphs: Graph[] = [];
  readonly statementTensors = new Map<ModelItem, StatementTensors>();
  readonly expandedBlocks = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly modelNames = new Set<string>();
  private readonly perPlace = new Map<string, number>();

  constructor(
    private readonly blocks: ReadonlyMap<string, BlockItem>,
    private readonly diagnostics: CoreDiagnostic[],
    private readonly refs: RefCollector,
  ) {}

  private report(code: CodeName, range: SourceRange, message: string, frame?: Frame, severity: 'error' | 'warning' = 'error'): void {
    this.forward(diag(code, range, message, severity), frame);
  }

  /** a block body expanded many times reports each problem once; inside an expansion, point at the call too */
  forward(d: CoreDiagnostic, frame?: Frame): void {
    const at = `${d.code}|${d.range.start.line}:${d.range.start.character}`;
    const key = `${at}|${d.message}`;
    if (this.seen.has(key)) return;
    // instances that fail differently at one place (other shapes per call): the first few say enough
    const count = this.perPlace.get(at) ?? 0;
    if (count >= MAX_PER_PLACE) return;
    this.perPlace.set(at, count + 1);
    this.seen.add(key);
    const top = frame?.topSite;
    this.diagnostics.push(top && frame.callStack.length > 0 ? { ...d, related: [{ range: top, message: `in the expansion of '${frame.callStack[0]!.block}' called here` }] } : d);
  }

  /** a model's name met in file order: a second model of one name is reported (both are elaborated) */
  nameModel(name: Ident): void {
    if (this.modelNames.has(name.name)) this.diagnostics.push(diag('duplicate', name.range, `model '${name.name}' is defined twice`));
    this.modelNames.add(name.name);
  }

  elaborateModel(model: ModelItem, defaults: ModelConfig, fileConfig: ConfigOverrides, overrides: ConfigOverrides | undefined): void {
    const run = this.startModel(model.name, model.body, defaults, fileConfig, overrides, model.range);
    this.statementTensors.set(model, { graph: this.graphs.length, tensors: run.tensors });
    this.graphs.push(run.run(model));
  }

  /**
   * A model's run, its config made of `configs` (the model's own `config` statements; others are
   * skipped) over the file's. `range` is the model's, or a stand-in its `finish` replaces.
   */
  startModel(name: Ident, configs: readonly Statement[], defaults: ModelConfig, fileConfig: ConfigOverrides, overrides: ConfigOverrides | undefined, range: SourceRange): ModelRun {
    const config = mergeConfig(defaults, fileConfig, mergeConfigItems(configs, this.diagnostics), overrides);
    return new ModelRun(this, new GraphBuilder(name.name, config, range, name.range), this.graphs.length, this.refs, name);
  }

  // shared with ModelRun
  reportFrom(code: CodeName, range: SourceRange, message: string, frame?: Frame, severity: 'error' | 'warning' = 'error'): void {
    this.report(code, range, message, frame, severity);
  }
  block(name: string): BlockItem | undefined {
    return this.blocks.get(name);
  }
  blockNames(): Iterable<string> {
    return this.blocks.keys();
  }
}

