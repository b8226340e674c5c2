// An op's stored attributes as the registry's rules read them (schedule.ts, kvCache.ts).
import type { OpNode } from '../ir';
import type { ArgValue } from '../ops/types';

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
