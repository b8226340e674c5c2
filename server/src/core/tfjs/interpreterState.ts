// What every layer of the interpreter shares: its limits, the signals that unwind statements, notes, results.
import type { SyntaxNode as Node } from './syntax';
import type { LayerObject, ModelObject, SymbolicTensor, Value } from './values';
import type { ShapeResult } from './graphs';
import type { ImportContext } from './localImports';

/** limits that keep the interpreter finite on any input */
export const LIMITS = {
  /** expression and statement evaluations per document */
  steps: 1_000_000,
  /**
   * steps a new model costs: each model is built and analysed after the evaluation, at far more
   * than a step's cost, and a function that calls itself making a model each time made 12,826
   * models (11 s of analysis) within the steps; at this price a document has at most 1,000
   */
  stepsPerModel: 1_000,
  /** iterations of one unrolled loop */
  iterations: 10_000,
  /** nested calls of local functions */
  callDepth: 48,
  /** nested expressions */
  exprDepth: 400,
};

export class ReturnSignal {
  constructor(readonly value: Value) {}
}
export class BreakSignal {
  constructor(readonly isContinue: boolean) {}
}
/** the step budget ran out: evaluation of the current entry stops */
export class LimitSignal {
  constructor(
    readonly node: Node,
    readonly message: string,
  ) {}
}

/** a note for the user that is not tied to a model's layers (control flow, limits) */
export interface Note {
  readonly node: Node;
  readonly message: string;
  readonly code: 'controlFlow' | 'limit' | 'unresolved' | 'unsupported';
}

/**
 * The interpreter is one class stacked in layers, one file each, bottom to top: this state,
 * bindings.ts, expressions.ts, tfApi.ts, calls.ts, statements.ts (the `Interpreter`). A layer
 * that needs a method of a higher one declares it abstract.
 */
export abstract class InterpreterState {
  /** shared by every interpreter of one document: the step budget */
  constructor(private readonly budget: { steps: number } = { steps: 0 }) {}
  readonly models: ModelObject[] = [];
  readonly notes: Note[] = [];
  /** functions (by their syntax node) that were called during evaluation */
  readonly invoked = new Set<Node>();
  /** names given to symbolic tensors by the variables they were bound to */
  readonly tensorNames = new Map<number, { name: string; node: Node }>();
  /** shapes of symbolic tensors inferred while the builder runs, by serial (symbolicShapes.ts) */
  readonly shapes = new Map<number, ShapeResult>();
  /** each layer object's applications in order, each with every tensor it returned */
  readonly layerOutputs = new Map<LayerObject, (readonly SymbolicTensor[])[]>();
  /** sequential models' tensor chains, for their shapes */
  readonly chains = new Map<ModelObject, { readonly count: number; readonly tensors: readonly SymbolicTensor[] | Value }>();
  /** how `require('./x')` reads other files of the workspace; absent for an untitled document */
  imports: ImportContext | undefined;
  /** name of the function whose body is being evaluated, for unnamed models */
  protected functionName: string | undefined;

  protected tick(node: Node): void {
    if (++this.budget.steps > LIMITS.steps) throw new LimitSignal(node, `memlens stopped evaluating after ${LIMITS.steps} steps`);
  }

  /** work beyond one evaluation (a new model) counts as `steps` steps */
  protected charge(node: Node, steps: number): void {
    this.budget.steps += steps - 1;
    this.tick(node);
  }
}
