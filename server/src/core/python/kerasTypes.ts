// The Keras models a Python file builds, as the host records them for kerasModels.ts: shared by
// kerasHost.ts, kerasMembers.ts and kerasModels.ts.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import type { SymbolicTensor, Value } from '../tfjs/values';
import type { ExampleTensor } from './kerasExamples';
import type { Instance, PyValue, Scope } from './values';

export interface KerasModel {
  readonly style: 'sequential' | 'functional' | 'subclassed';
  readonly instance: Instance;
  /** the constructor call */
  readonly site: Node;
  /** Sequential: its layers in order, with the expression that gave each */
  readonly layers: { value: PyValue; node: Node }[];
  /** functional: keras.Model(inputs, outputs) */
  inputs?: PyValue;
  outputs?: PyValue;
  name?: { node: Node; scope: Scope };
  /** model.build(shape), or the model called on an example tensor: the per-sample input shape */
  inputShape?: { shape: Value; node: Node; dtype: Value };
  /** subclassed: call() followed on a symbolic input */
  traced?: { inputs: SymbolicTensor[]; outputs: PyValue };
  stopped?: { node: Node; reason: string };
  optimizer?: { value: PyValue; node: Node };
  compiled?: Node;
  /** fit(x, y, batch_size) / predict(x, batch_size): the batch given, the example array when x is one */
  fit?: RunCall;
  predict?: RunCall;
  /** the example tensor the model was called on (`model(x)`): its first axis is the batch */
  example?: ExampleTensor;
  /** applied to a symbolic tensor inside another model */
  nested?: true;
}

/** a fit() or predict() call: its batch_size (absent: Keras' 32) and the example array it ran on */
export interface RunCall {
  readonly node: Node;
  readonly batch?: { value: PyValue; node: Node };
  /** the call's argument list, where the batch fix adds `batch_size=` */
  readonly argumentsNode?: Node;
  readonly example?: ExampleTensor;
}

export interface KerasDiagnostic {
  readonly node: Node;
  readonly message: string;
  readonly error: boolean;
}

/** keras.Model(inputs, outputs), or a subclass whose __init__ passed them to super().__init__ */
export function isFunctional(model: KerasModel): boolean {
  return model.style === 'functional' || model.inputs !== undefined;
}
