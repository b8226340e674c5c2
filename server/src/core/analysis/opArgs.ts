// An op's stored attributes as the registry's rules read them (schedule.ts, kvCache.ts).
import type { Layout, OpNode, TensorType, DType } from '../ir';
import type { ArgValue, OpContext } from '../ops/types';
import { DTYPES, type GraphColumns } from '../graphColumns';

/** the op's arguments as the registry sees them: null (absent) attributes left out, copied only when there are some */
export function argsOf(attrs: OpNode['attrs']): Readonly<Record<string, ArgValue>> {
  let hasNull = false;
  for (const k in attrs) if (attrs[k] === null) hasNull = true;
  if (!hasNull) return attrs as Readonly<Record<string, ArgValue>>;
  const args: Record<string, ArgValue> = {};
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== null && v !== undefined) args[k] = v;
  }
  return args;
}

/** the registry's context for one op of a graph's columns (a rule asked about a few ops, not the keystroke path) */
export function opContextOf(c: GraphColumns, op: number, layout: Layout, activationDType: DType): OpContext {
  const inputs: TensorType[] = [];
  for (let k = c.inputStart[op]!; k < c.inputStart[op + 1]!; k++) {
    const t = c.inputs[k]!;
    inputs.push({ shape: c.tensorShape[t]!, dtype: DTYPES[c.tensorDType[t]!]! });
  }
  return { inputs, args: argsOf(c.opAttrs[op]!), layout, activationDType };
}
