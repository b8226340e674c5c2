// torch.utils.checkpoint: a checkpointed function's ops are one segment of the model's trace.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import type { Interpreter } from './interpreter';
import type { Trace } from './trace';
import { isModule } from './modules';
import { unknown, type CallArgs, type PyValue } from './values';

/** torch.utils.checkpoint.checkpoint(fn, *args): fn's ops are one checkpointed segment of the model (its own keywords, use_reentrant and preserve_rng_state, change no figure) */
export function checkpoint(interp: Interpreter, active: Trace | undefined, fn: PyValue | undefined, args: readonly PyValue[], site: Node): PyValue {
  if (!fn) return unknown(site, 'checkpoint() without a function');
  const run = (): PyValue => interp.call(fn, { positional: [...args], keywords: new Map() }, site);
  return active ? active.checkpointed(run) : run();
}

/**
 * checkpoint_sequential(functions, segments, input): the modules split into `segments` runs of
 * len // segments; every run but the last is checkpointed, the last (with the remainder) runs plainly
 */
export function checkpointSequential(interp: Interpreter, active: Trace | undefined, args: CallArgs, site: Node): PyValue {
  const [functions, segmentsValue, input] = [args.positional[0] ?? args.keywords.get('functions'), args.positional[1] ?? args.keywords.get('segments'), args.positional[2] ?? args.keywords.get('input')];
  const modules = functions?.kind === 'instance' && isModule(functions) ? [...functions.module.children.values()] : functions?.kind === 'list' || functions?.kind === 'tuple' ? functions.items : undefined;
  const segments = segmentsValue?.kind === 'int' ? segmentsValue.value : undefined;
  if (!modules || segments === undefined || !input) return unknown(site, 'checkpoint_sequential() with functions, segments or input memlens does not know statically');
  if (segments < 1) return unknown(site, `checkpoint_sequential() with ${segments} segments`);
  const size = Math.floor(modules.length / segments);
  const through = (from: number, to: number, x: PyValue): PyValue => {
    let out = x;
    for (let i = from; i < to; i++) out = interp.call(modules[i]!, { positional: [out], keywords: new Map() }, site);
    return out;
  };
  let x: PyValue = input;
  let next = 0;
  for (let start = 0; size > 0 && start < size * (segments - 1); start += size) {
    const from = start;
    x = active ? active.checkpointed(() => through(from, from + size, x)) : through(from, from + size, x);
    next = start + size;
  }
  return through(next, modules.length, x);
}
