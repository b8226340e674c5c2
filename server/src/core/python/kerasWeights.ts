// What a custom Keras layer reads of its tensors and makes of its own: the shape of a symbolic
// tensor (`x.shape`, the input_shape its build() gets), found by building the graph up to it, and
// the weights of `self.add_weight(shape=..., trainable=...)`, which enter the graph where call()
// reads them: `x @ w` / `tf.matmul(x, w)` with a 2-D weight is a dense op of that kernel,
// `x + b` / `x * s` a `param` op of the weight broadcast with x. Each weight is one layer object,
// so a weight read twice is counted once.
import { BUILTIN_DEFAULTS } from '../config';
import { buildGraphs } from '../tfjs/graphs';
import { opConfig } from '../tfjs/layerConfig';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import type { LayerObject, ModelObject, SymbolicTensor } from '../tfjs/values';
import { describe, intOf, iterate, type CallArgs } from './values';

/** the per-sample shape of a symbolic tensor, or why it is not known (a layer that does not fit) */
export function shapeOf(t: SymbolicTensor): readonly number[] | string {
  const inputs: SymbolicTensor[] = [];
  const seen = new Set<number>();
  const stack = [t];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (seen.has(x.serial)) continue;
    seen.add(x.serial);
    if (x.producer.kind === 'input') inputs.push(x);
    else stack.push(...x.producer.inputs);
  }
  const model: ModelObject = { kind: 'model', serial: 0, style: 'functional', site: t.producer.site, layers: [], inputs: { kind: 'array', items: inputs }, outputs: t, name: 'shape' };
  const built = buildGraphs([model], new Map(), BUILTIN_DEFAULTS).models[0];
  const g = built?.graph;
  if (!g) return 'the layers before it do not fit together';
  return g.tensors[g.outputs[0]!]!.shape;
}

export interface KerasWeight {
  readonly shape: readonly number[];
  readonly trainable: boolean;
  readonly node: Node;
  /** the layer that made it (its call() must read it) */
  readonly owner: object;
  /** its layer objects, made when call() first reads it: as a kernel (dense) or as a tensor (param) */
  kernel?: LayerObject;
  tensor?: LayerObject;
  read?: true;
}

/**
 * `self.add_weight(shape=(d, u), initializer=..., trainable=True, name=...)` (Keras 3 takes the
 * shape first, Keras 2 the name): the weight, or why its shape is not known
 */
export function weightOf(args: CallArgs, site: Node, owner: object): KerasWeight | string {
  const first = args.positional[0];
  const shape = args.keywords.get('shape') ?? (first?.kind === 'str' ? args.positional[1] : first);
  const dims = shape ? (shape.kind === 'int' ? [shape] : iterate(shape)) : undefined;
  if (!dims) return `the shape of \`${site.text}\` is ${shape ? describe(shape) : 'missing'}, not known statically`;
  const sizes = dims.map(intOf);
  if (sizes.some((d) => d === undefined || d < 1)) return `the shape of \`${site.text}\` is not known statically`;
  const trainable = args.keywords.get('trainable');
  if (trainable && trainable.kind !== 'bool' && trainable.kind !== 'none') return `\`trainable\` of \`${site.text}\` is ${describe(trainable)}, not a known boolean`;
  return { shape: sizes as number[], trainable: trainable?.kind === 'bool' ? trainable.value : true, node: site, owner };
}

function withTrainable(layer: LayerObject, trainable: boolean): LayerObject {
  if (!trainable && layer.config?.kind === 'object') layer.config.props.set('trainable', { kind: 'bool', value: false });
  return layer;
}

/** the weight as a kernel: a dense op of its [in, out] shape, no bias */
export function kernelLayer(w: KerasWeight, make: (type: string, config: LayerObject['config']) => LayerObject): LayerObject {
  w.read = true;
  return (w.kernel ??= withTrainable(make('add_weight()', opConfig('dense', { units: w.shape[1]!, bias: false, activation: 'linear' })), w.trainable));
}

/** the weight as a tensor of the graph (a bias, a scale): the `param` op, its values the parameters */
export function tensorLayer(w: KerasWeight, make: (type: string, config: LayerObject['config']) => LayerObject): LayerObject {
  w.read = true;
  return (w.tensor ??= withTrainable(make('add_weight()', opConfig('param', { shape: [...w.shape] })), w.trainable));
}
