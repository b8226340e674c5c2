// Example inputs of a Keras model in Python: the arrays and tensors a file makes to call, fit or
// predict with (`np.zeros((8, 28, 28, 1))`, `np.random.rand(8, 32)`, `tf.random.normal([8, 10])`).
// Their shape gives the model its input, their first axis the batch; the integer literal there
// is what the batch quick fix edits. Apart from kerasHost.ts, which keeps the models.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { intOf, iterate, type CallArgs, type PyValue } from './values';

export interface ExampleTensor {
  readonly dims: readonly PyValue[];
  readonly node: Node;
  /** the integer literal of the first axis (`8` in np.zeros((8, 4))), when it is one */
  readonly firstNode?: Node;
  /** as Keras receives it: floating arrays are cast to float32; integer ones keep their width */
  readonly dtype: 'float32' | 'int32' | 'int64' | 'bool';
}

/** where a factory takes its shape: one shape argument at a position (or `shape=` / `size=`), or the dims one by one */
type ShapeAt = { readonly at: number; readonly keyword: string } | 'dims';

/** numpy's array factories by their path, with where the shape is and numpy's default dtype */
const NUMPY_FACTORIES: ReadonlyMap<string, { readonly shape: ShapeAt; readonly dtype: ExampleTensor['dtype'] }> = new Map([
  ['numpy.zeros', { shape: { at: 0, keyword: 'shape' }, dtype: 'float32' }],
  ['numpy.ones', { shape: { at: 0, keyword: 'shape' }, dtype: 'float32' }],
  ['numpy.empty', { shape: { at: 0, keyword: 'shape' }, dtype: 'float32' }],
  ['numpy.full', { shape: { at: 0, keyword: 'shape' }, dtype: 'float32' }],
  ['numpy.random.rand', { shape: 'dims', dtype: 'float32' }],
  ['numpy.random.randn', { shape: 'dims', dtype: 'float32' }],
  ['numpy.random.random', { shape: { at: 0, keyword: 'size' }, dtype: 'float32' }],
  ['numpy.random.random_sample', { shape: { at: 0, keyword: 'size' }, dtype: 'float32' }],
  ['numpy.random.sample', { shape: { at: 0, keyword: 'size' }, dtype: 'float32' }],
  ['numpy.random.uniform', { shape: { at: 2, keyword: 'size' }, dtype: 'float32' }],
  ['numpy.random.normal', { shape: { at: 2, keyword: 'size' }, dtype: 'float32' }],
  // numpy's default integer is int64 (on Linux and macOS), which Keras keeps
  ['numpy.random.randint', { shape: { at: 2, keyword: 'size' }, dtype: 'int64' }],
]);

/** TensorFlow's: tf.zeros(shape), tf.random.normal(shape) */
const TF_FACTORIES: ReadonlySet<string> = new Set(['tensorflow.zeros', 'tensorflow.ones', 'tensorflow.random.normal', 'tensorflow.random.uniform']);

export function isExampleFactory(path: string): boolean {
  return NUMPY_FACTORIES.has(path) || TF_FACTORIES.has(path);
}

/** the example a factory call makes, or why its shape is not known */
export function exampleOf(path: string, args: CallArgs, site: Node): ExampleTensor | string {
  const spec = NUMPY_FACTORIES.get(path) ?? { shape: { at: 0, keyword: 'shape' } as const, dtype: 'float32' as const };
  const argNodes = site.childForFieldName('arguments')?.namedChildren.filter((n) => n.type !== 'comment') ?? [];
  const positionalNodes = argNodes.filter((n) => n.type !== 'keyword_argument');
  const keywordNode = (k: string): Node | undefined => argNodes.find((n) => n.type === 'keyword_argument' && n.childForFieldName('name')?.text === k)?.childForFieldName('value') ?? undefined;
  let dims: readonly PyValue[] | undefined;
  let firstNode: Node | undefined;
  if (spec.shape === 'dims') {
    dims = args.positional;
    firstNode = positionalNodes[0];
  } else {
    const shape = args.positional[spec.shape.at] ?? args.keywords.get(spec.shape.keyword);
    const shapeNode = args.positional[spec.shape.at] ? positionalNodes[spec.shape.at] : keywordNode(spec.shape.keyword);
    if (shape && (shape.kind === 'int' || shape.kind === 'bool')) {
      dims = [shape];
      firstNode = shapeNode;
    } else if (shape && shape.kind !== 'str') {
      dims = iterate(shape);
      firstNode = shapeNode && (shapeNode.type === 'tuple' || shapeNode.type === 'list') ? shapeNode.namedChildren[0] : undefined;
    }
  }
  if (!dims || dims.length === 0 || dims.some((d) => intOf(d) === undefined || intOf(d)! < 1)) return `the shape of \`${site.text}\` is not known statically`;
  const dtype = dtypeOf(args.keywords.get('dtype'), spec.dtype);
  if (!dtype) return `the dtype of \`${site.text}\` is not one memlens reads`;
  return { dims, node: site, dtype, ...(firstNode?.type === 'integer' ? { firstNode } : {}) };
}

/** 'int32', np.int32, tf.int64, float: the dtype a Keras model gets (floating types are cast to float32) */
function dtypeOf(v: PyValue | undefined, fallback: ExampleTensor['dtype']): ExampleTensor['dtype'] | undefined {
  if (v === undefined || v.kind === 'none') return fallback;
  const name = v.kind === 'str' ? v.value : v.kind === 'namespace' ? v.path.slice(v.path.lastIndexOf('.') + 1) : v.kind === 'class' ? v.name : undefined;
  if (name === undefined) return undefined;
  if (/^float(16|32|64)?$|^(half|double|single|bfloat16)$/.test(name)) return 'float32';
  if (name === 'int32' || name === 'uint16' || name === 'int16' || name === 'int8' || name === 'uint8') return 'int32';
  if (name === 'int' || name === 'int64' || name === 'uint32' || name === 'uint64') return 'int64';
  if (name === 'bool' || name === 'bool_') return 'bool';
  return undefined;
}

/** how many samples an example holds: its first axis */
export function samplesOf(e: ExampleTensor): number {
  return intOf(e.dims[0]!)!;
}

/**
 * The batch quick fix's edit points for a Keras model: the `batch_size=` of the fit / predict
 * call that gives the batch (an integer literal to replace, or the call's arguments to add it
 * to), and the first axis of the example array, which caps the batch at its sample count.
 */
export interface KerasBatchSite {
  /** the graph's name (FixSpec.model) */
  readonly model: string;
  readonly call?: { readonly literal: Node } | { readonly argumentsNode: Node } | { readonly unknown: true };
  readonly example?: { readonly samples: number; readonly firstNode?: Node };
}

/** the `batch_size=` a call was given: its value and the node to point at / edit */
export function batchArgument(args: CallArgs, site: Node, position: number): { value?: PyValue; node: Node; argumentsNode?: Node } {
  const argsNode = site.childForFieldName('arguments') ?? undefined;
  const kw = argsNode?.namedChildren.find((n) => n.type === 'keyword_argument' && n.childForFieldName('name')?.text === 'batch_size')?.childForFieldName('value') ?? undefined;
  const positional = argsNode?.namedChildren.filter((n) => n.type !== 'keyword_argument' && n.type !== 'comment')[position];
  const value = args.keywords.get('batch_size') ?? args.positional[position];
  return { ...(value && value.kind !== 'none' ? { value } : {}), node: kw ?? (args.keywords.has('batch_size') ? site : positional) ?? site, ...(argsNode ? { argumentsNode: argsNode } : {}) };
}
