// A functional Keras model called as a layer inside another (`out = decoder(encoder(x))`): its
// graph is applied again to the tensors it is called on. The copies keep the inner model's layer
// objects, so its weights are counted once however often it is called, as Keras shares them.
import type { LayerObject, SymbolicTensor } from '../tfjs/values';

/** every tensor the outputs depend on, in creation order (a tensor's inputs were made before it) */
function upstream(outputs: readonly SymbolicTensor[]): SymbolicTensor[] {
  const seen = new Map<number, SymbolicTensor>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t.serial)) continue;
    seen.set(t.serial, t);
    if (t.producer.kind === 'apply') stack.push(...t.producer.inputs);
  }
  return [...seen.values()].sort((a, b) => a.serial - b.serial);
}

/**
 * The inner model's outputs computed from `given` in place of its inputs, or why not: a count
 * that does not match, or an input the graph reads that is not among the model's inputs.
 */
export function replayGraph(inner: { inputs: readonly SymbolicTensor[]; outputs: readonly SymbolicTensor[] }, given: readonly SymbolicTensor[], serial: () => number): SymbolicTensor[] | string {
  if (given.length !== inner.inputs.length) return `the model takes ${inner.inputs.length} input${inner.inputs.length === 1 ? '' : 's'}, it is called on ${given.length} (Keras raises)`;
  const copies = new Map<number, SymbolicTensor>();
  inner.inputs.forEach((t, i) => copies.set(t.serial, given[i]!));
  for (const t of upstream(inner.outputs)) {
    if (copies.has(t.serial)) continue;
    const p = t.producer;
    if (p.kind === 'input') return 'its graph reads a keras.Input that is not among its inputs (Keras raises)';
    copies.set(t.serial, { kind: 'tensor', serial: serial(), producer: { ...p, inputs: p.inputs.map((x) => copies.get(x.serial)!) } });
  }
  return inner.outputs.map((t) => copies.get(t.serial)!);
}

/** the layer objects a graph applies (a nested model's freezing reaches each of them) */
export function layersOf(outputs: readonly SymbolicTensor[]): Set<LayerObject> {
  const out = new Set<LayerObject>();
  for (const t of upstream(outputs)) if (t.producer.kind === 'apply') out.add(t.producer.layer);
  return out;
}
