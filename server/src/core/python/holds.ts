// A Python reference lets go of its tensor: the tensor, of a model's trace, was held until the
// latest op (Graph.heldUntil). Each trace registers its graph builder here, so that the layers'
// rules, which the trace's own imports reach, can say so too (a layer's call holds its argument
// until it returns, through every op it makes).
import type { PyValue } from './values';

interface Holder {
  holdUntilNow(tensor: number): void;
}

const holders = new WeakMap<object, Holder>();

export function registerTrace(trace: object, holder: Holder): void {
  holders.set(trace, holder);
}

/** a variable lets go of its value now (its function returned, or the name was rebound); each tensor of a tuple or list it held too */
export function releaseVariable(value: PyValue): void {
  if (value.kind === 'tensor') {
    if (value.trace !== undefined && value.id !== undefined) holders.get(value.trace)?.holdUntilNow(value.id);
    return;
  }
  if (value.kind === 'tuple' || value.kind === 'list') for (const item of value.items) if (item.kind === 'tensor') releaseVariable(item);
}
