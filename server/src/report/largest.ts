// The few largest of many values without sorting them all: the report of a million-op model lists
// its twenty largest tensors, so one pass keeps a sorted list of twenty.

export interface Largest {
  /** the indices of the `n` largest values (ties: the earlier index), in ascending index order */
  readonly ops: readonly number[];
  /** the largest value among the indices not listed; 0 when every index is listed */
  readonly restMax: number;
}

export function largestOps(count: number, valueOf: (index: number) => number, n: number): Largest {
  // kept sorted by value, largest first; an equal value later in the order never displaces one
  const top: number[] = [];
  const values: number[] = [];
  let restMax = 0;
  for (let i = 0; i < count; i++) {
    const v = valueOf(i);
    if (top.length === n && v <= values[n - 1]!) {
      restMax = Math.max(restMax, v);
      continue;
    }
    let at = top.length;
    while (at > 0 && values[at - 1]! < v) at--;
    top.splice(at, 0, i);
    values.splice(at, 0, v);
    if (top.length > n) {
      top.pop();
      restMax = Math.max(restMax, values.pop()!);
    }
  }
  return { ops: top.sort((a, b) => a - b), restMax };
}
