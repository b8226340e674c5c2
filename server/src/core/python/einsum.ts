// torch.einsum of two operands, as torch computes it: each operand permuted to (shared, free,
// contracted) axes and flattened, one batched matrix product, and the result unflattened and
// permuted to the output's order. Written from torch's documentation of einsum.
import type { TensorValue } from './values';

/** the steps the frontend emits for `einsum(equation, a, b)`; a reason when it is not modelled */
export interface EinsumPlan {
  /** a: permutation to [shared, a-free, contracted], then the shape to view it as */
  readonly permuteA: readonly number[];
  readonly viewA: readonly Dim[];
  readonly permuteB: readonly number[];
  readonly viewB: readonly Dim[];
  /** the product's result viewed as [shared, a-free, b-free], then permuted to the output's order */
  readonly viewOut: readonly Dim[];
  readonly permuteOut: readonly number[];
}

/** a size; `batch` marks the axis that is the batch N (its size then counts per sample) */
export interface Dim {
  readonly size: number;
  readonly batch: boolean;
}

export function planEinsum(equation: string, a: TensorValue, b: TensorValue): EinsumPlan | string {
  const eq = equation.replace(/\s+/g, '');
  const m = /^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]*)$/.exec(eq);
  if (!m) return `einsum '${equation}' is modelled for two operands with an explicit output ('ij,jk->ik'), no ellipsis`;
  const [la, lb, lo] = [m[1]!, m[2]!, m[3]!];
  for (const [letters, t, what] of [[la, a, 'first'], [lb, b, 'second']] as const) {
    if (letters.length !== t.shape.length) return `einsum '${equation}': the ${what} operand has ${t.shape.length} axes, the equation names ${letters.length}`;
    if (new Set(letters).size !== letters.length) return `einsum '${equation}': a repeated index in one operand (a diagonal) is not modelled`;
  }
  const size = new Map<string, Dim>();
  for (const [letters, t] of [[la, a], [lb, b]] as const) {
    for (let i = 0; i < letters.length; i++) {
      const d: Dim = { size: t.shape[i]!, batch: i === t.batchAxis };
      const seen = size.get(letters[i]!);
      if (seen && (seen.size !== d.size || seen.batch !== d.batch)) return `einsum '${equation}': index ${letters[i]} has sizes ${seen.size} and ${d.size}`;
      size.set(letters[i]!, d);
    }
  }
  const inA = (c: string): boolean => la.includes(c);
  const inB = (c: string): boolean => lb.includes(c);
  const inOut = (c: string): boolean => lo.includes(c);
  const summedAlone = [...la, ...lb].find((c) => !inOut(c) && !(inA(c) && inB(c)));
  if (summedAlone) return `einsum '${equation}': index ${summedAlone} is summed within one operand, which is not modelled`;
  const batchLetter = [...size].find(([, d]) => d.batch)?.[0];
  if (batchLetter === undefined || !inOut(batchLetter)) return `einsum '${equation}' without the batch axis in its output is not modelled`;
  const shared = [...lo].filter((c) => inA(c) && inB(c));
  const contracted = [...la].filter((c) => inB(c) && !inOut(c));
  // the batch stays an axis of its own: first among a's free axes when b does not grow with it
  const freeA = [...lo].filter((c) => inA(c) && !inB(c)).sort((x, y) => Number(y === batchLetter) - Number(x === batchLetter));
  const freeB = [...lo].filter((c) => inB(c) && !inA(c));
  if (freeB.includes(batchLetter)) return `einsum '${equation}': only the first operand may carry the batch alone`;
  if (freeA.includes(batchLetter) && [...lo].some((c) => inA(c) && inB(c))) return `einsum '${equation}': shared axes beside a batch that only the first operand carries are not modelled`;
  const prod = (cs: readonly string[]): number => cs.reduce((p, c) => p * size.get(c)!.size, 1);
  const dim = (c: string): Dim => size.get(c)!;
  const flat = (cs: readonly string[]): Dim => ({ size: prod(cs), batch: false });
  const batchInA = freeA[0] === batchLetter;
  const restA = batchInA ? freeA.slice(1) : freeA;
  const viewA = [...shared.map(dim), ...(batchInA ? [dim(batchLetter)] : []), flat(restA), flat(contracted)];
  const viewB = [...shared.map(dim), flat(contracted), flat(freeB)];
  const middle = [...shared, ...freeA, ...freeB];
  return {
    permuteA: [...shared, ...freeA, ...contracted].map((c) => la.indexOf(c)),
    viewA,
    permuteB: [...shared, ...contracted, ...freeB].map((c) => lb.indexOf(c)),
    viewB,
    viewOut: middle.map(dim),
    permuteOut: [...lo].map((c) => middle.indexOf(c)),
  };
}
