// torch.utils.checkpoint: a checkpointed function's ops are one segment of the model's trace.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import type { Interpreter } from './interpreter';
import { TraceStop, type Trace } from './trace';
import { isModule } from './modules';
import { unknown, type CallArgs, type PyValue } from './values';

/**
 * torch.utils.checkpoint.checkpoint(fn, *args, use_reentrant=True, **kwargs): fn's ops are one
 * checkpointed segment of the model, reentrant (torch 1.13's default) or, with
 * use_reentrant=False, run under saved-tensor hooks (its other keywords go to fn, as torch passes them)
 */
export function checkpoint(interp: Interpreter, active: Trace | undefined, fn: PyValue | undefined, args: readonly PyValue[], keywords: ReadonlyMap<string, PyValue>, site: Node): PyValue {
  if (!fn) return unknown(site, 'checkpoint() without a function');
  const [flag, rng] = [keywords.get('use_reentrant'), keywords.get('preserve_rng_state')];
  if ((flag && flag.kind !== 'bool') || (rng && rng.kind !== 'bool')) return unknown(site, 'checkpoint() with a use_reentrant or preserve_rng_state memlens does not know statically');
  const reentrant = flag?.kind === 'bool' ? flag.value : true;
  const preservesRngState = rng?.kind === 'bool' ? rng.value : true;
  const rest = new Map([...keywords].filter(([k]) => k !== 'use_reentrant' && k !== 'preserve_rng_state'));
  // torch 1.13's reentrant checkpoint passes no keyword arguments to fn: it raises
  if (reentrant && rest.size > 0) return raises(active, site, `checkpoint() raises a ValueError: unexpected keyword arguments ${[...rest.keys()].join(', ')} (the reentrant checkpoint passes none to the function; use_reentrant=False does)`);
  const run = (): PyValue => interp.call(fn, { positional: [...args], keywords: rest }, site);
  return active ? active.checkpointed(run, { reentrant, preservesRngState }) : run();
}

/**
 * checkpoint_sequential(functions, segments, input, preserve_rng_state=True): the modules split into `segments` runs of
 * len // segments; every run but the last is checkpointed, the last (with the remainder) runs plainly
 */
export function checkpointSequential(interp: Interpreter, active: Trace | undefined, args: CallArgs, site: Node): PyValue {
  const [functions, segmentsValue, input] = [args.positional[0] ?? args.keywords.get('functions'), args.positional[1] ?? args.keywords.get('segments'), args.positional[2] ?? args.keywords.get('input')];
  const modules = functions?.kind === 'instance' && isModule(functions) ? [...functions.module.children.values()] : functions?.kind === 'list' || functions?.kind === 'tuple' ? functions.items : undefined;
  const segments = segmentsValue?.kind === 'int' ? segmentsValue.value : undefined;
  if (!modules || segments === undefined || !input) return unknown(site, 'checkpoint_sequential() with functions, segments or input memlens does not know statically');
  if (segments < 1) return unknown(site, `checkpoint_sequential() with ${segments} segments`);
  // torch 1.13's checkpoint_sequential takes preserve_rng_state alone (no use_reentrant): it raises on others
  const other = [...args.keywords.keys()].filter((k) => !['functions', 'segments', 'input', 'preserve_rng_state'].includes(k));
  if (other.length > 0) return raises(active, site, `checkpoint_sequential() raises a ValueError in torch 1.13: unexpected keyword arguments ${other.join(', ')}`);
  const rng = args.keywords.get('preserve_rng_state');
  if (rng && rng.kind !== 'bool') return unknown(site, 'checkpoint_sequential() with a preserve_rng_state memlens does not know statically');
  const mode = { reentrant: true, preservesRngState: rng?.kind === 'bool' ? rng.value : true };
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
    x = active ? active.checkpointed(() => through(from, from + size, x), mode) : through(from, from + size, x);
    next = start + size;
  }
  return through(next, modules.length, x);
}

/** torch raises: inside a model's forward an error that stops the trace, elsewhere an unknown value */
function raises(active: Trace | undefined, site: Node, message: string): PyValue {
  if (active) throw new TraceStop(site, message, true);
  return unknown(site, message);
}
