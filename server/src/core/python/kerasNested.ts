// A functional Keras model called as a layer inside another (`out = decoder(encoder(x))`): its
// graph is applied again to the tensors it is called on. The copies keep the inner model's layer
// objects, so its weights are counted once however often it is called, as Keras shares them.
import { upstreamTensors, type LayerObject, type SymbolicTensor } from '../tfjs/values';


/**
 * The inner model's outputs computed from `given` in place of its inputs, or why not: a count
 * that does not match, or an input the graph reads that is not among the model's inputs.
 */
export function replayGraph(inner: { inputs: readonly SymbolicTensor[]; outputs: readonly SymbolicTensor[] }, given: readonly SymbolicTensor[], serial: () => number): SymbolicTensor[] | string {
  if (given.length !== inner.inputs.length) return `the model takes ${inner.inputs.length} input${inner.inputs.length === 1 ? '' : 's'}, it is called on ${given.length} (Keras raises)`;
  const copies = new Map<number, SymbolicTensor>();
  inner.inputs.forEach((t, i) => copies.set(t.serial, given[i]!));
  for (const t of upstreamTensors(inner.outputs)) {
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
  for (const t of upstreamTensors(outputs)) if (t.producer.kind === 'apply') out.add(t.producer.layer);
  return out;
}
