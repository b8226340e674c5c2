// How a Keras call reads its arguments and names: the tensors a layer call is applied to (the
// attention layers' query, value and key), and the keras / tensorflow paths.
import { describe, type CallArgs, type PyValue } from './values';

/**
 * What a layer call is applied to: its first argument, or for attention the query, value and
 * key (MultiHeadAttention's `mha(query, value, key=None)`, Attention's `[query, value, key]`);
 * a call option memlens does not model yet is the reason it stops.
 */
export function callInputs(type: string, args: CallArgs): PyValue | undefined | string {
  if (type !== 'multiHeadAttention' && type !== 'attention') return args.positional[0] ?? args.keywords.get('inputs');
  const option = (name: string, isDefault: (v: PyValue) => boolean): string | undefined => {
    const v = args.keywords.get(name);
    return v && !isDefault(v) ? `${name}=${describe(v)} is not modelled by memlens yet` : undefined;
  };
  const isFalse = (v: PyValue): boolean => v.kind === 'bool' && !v.value;
  const problem = option(type === 'attention' ? 'mask' : 'attention_mask', (v) => v.kind === 'none') ?? option('return_attention_scores', isFalse) ?? option('use_causal_mask', isFalse);
  if (problem) return problem;
  // a mask or option given by position
  if (args.positional.slice(type === 'attention' ? 1 : 3).some((v) => v.kind !== 'none')) return 'a mask or option given by position is not modelled by memlens yet';
  if (type === 'attention') return args.positional[0] ?? args.keywords.get('inputs');
  const query = args.positional[0] ?? args.keywords.get('query');
  const value = args.positional[1] ?? args.keywords.get('value');
  const key = args.positional[2] ?? args.keywords.get('key');
  if (!query || !value) return 'MultiHeadAttention is called on a query and a value (Keras raises)';
  return { kind: 'list', items: [query, value, key && key.kind !== 'none' ? key : value] };
}

/** tensorflow.keras.* and tf.keras.* are keras.* */
export function normalize(path: string): string {
  return path.replace(/^tensorflow\.keras(?=\.|$)/, 'keras');
}

export function isKerasPath(path: string): boolean {
  return path === 'keras' || path.startsWith('keras.') || path === 'tensorflow' || path.startsWith('tensorflow.');
}
