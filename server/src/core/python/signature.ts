// A torch layer's constructor arguments bound by its signature, as Python binds a call.
import { isUnknown, type CallArgs, type PyValue } from './values';
import type { Signature } from './layers';

/** constructor arguments by torch's signature: a message when they do not fit */
export function bindSignature(signature: Signature, args: CallArgs): Map<string, PyValue> | string {
  const out = new Map<string, PyValue>();
  const positional = signature.filter(([name]) => !name.startsWith('**'));
  if (args.positional.length > positional.length) return `takes ${positional.length} arguments, got ${args.positional.length}`;
  positional.forEach(([name], i) => {
    const v = args.positional[i];
    if (v !== undefined) out.set(name, v);
  });
  // a `**name` entry takes the keywords the signature does not name, each under its own name
  const rest = signature.some(([name]) => name.startsWith('**'));
  const named = signature.filter(([name]) => !name.startsWith('**'));
  for (const [k, v] of args.keywords) {
    if (!named.some(([name]) => name === k) && !rest) {
      // device= and dtype= change where and how the weights live, not how many there are
      if (k === 'device' || k === 'dtype') continue;
      return `unexpected keyword argument \`${k}\``;
    }
    if (out.has(k)) return `got \`${k}\` twice`;
    out.set(k, v);
  }
  for (const [name, dflt] of signature) {
    if (out.has(name) || name.startsWith('**')) continue;
    if (dflt === undefined) return `missing argument \`${name}\``;
    out.set(name, dflt);
  }
  for (const [k, v] of out) if (isUnknown(v)) return `\`${k}\` is not known statically (${v.reason})`;
  return out;
}
