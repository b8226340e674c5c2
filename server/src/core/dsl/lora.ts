// `lora: lora(rank: r, alpha: a, dropout: p, targets: [q, v])` on a dense or attention call: the
// arguments of the lora(...) value, bound without evaluating it as an op call (there is no op
// named lora). What the adapters cost is the ops' business (expand.ts, ops/attention.ts).
import type { OpId, SourceRange, TensorId } from '../ir';
import { isRejection, type GraphBuilder, type OpRequest, type OpResult } from '../graphBuilder';
import type { ArgValue } from '../ops/types';
import type { CodeName } from './codes';
import type { EvArg } from './bind';
import { describeValue, type Value } from './values';
import { didYouMean } from './suggest';

export interface LoraSpec {
  readonly rank: number;
  /** the scaling alpha / rank: no memory of its own, kept for the hover */
  readonly alpha: number;
  /** dropout on the adapters' input (peft's lora_dropout) */
  readonly dropout: number;
  /** attention projections that get adapters; undefined: the op's default (q and v, as peft's for Llama) */
  readonly targets?: readonly LoraTarget[];
}

/** attention's projections: queries, keys, values, output */
export const LORA_TARGETS = ['q', 'k', 'v', 'o'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];
/** peft's defaults for Llama-style models (q_proj, v_proj) */
export const DEFAULT_LORA_TARGETS: readonly LoraTarget[] = ['q', 'v'];

const NAMES = ['rank', 'alpha', 'dropout', 'targets'];

export type Report = (code: CodeName, range: SourceRange, message: string) => void;

/** the arguments of lora(...), or undefined when one is wrong (each reported) */
export function bindLora(args: readonly EvArg[], callee: SourceRange, report: Report): LoraSpec | undefined {
  const given = new Map<string, EvArg>();
  let ok = true;
  let positional = 0;
  for (const a of args) {
    const name = a.name?.name ?? NAMES[positional++];
    if (name === undefined) {
      report('tooManyArguments', a.at.range, 'lora takes rank, alpha, dropout and targets');
      ok = false;
    } else if (!NAMES.includes(name)) {
      report('unknownArgument', a.name!.range, `lora has no argument '${name}'${didYouMean(name, NAMES)}`);
      ok = false;
    } else if (given.has(name)) {
      report('duplicateArgument', a.at.range, `'${name}' is given twice`);
      ok = false;
    } else given.set(name, a);
  }
  const rankArg = given.get('rank');
  if (!rankArg) {
    report('missingArgument', callee, "lora needs 'rank' (lora(rank: 8))");
    return undefined;
  }
  const rank = integerAtLeast(rankArg, 1, 'rank', report);
  const alphaArg = given.get('alpha');
  const alpha = alphaArg ? numberIn(alphaArg, 'alpha', 0, Infinity, report) : rank;
  const dropoutArg = given.get('dropout');
  const dropout = dropoutArg ? numberIn(dropoutArg, 'dropout', 0, 1, report) : 0;
  const targetsArg = given.get('targets');
  const targets = targetsArg ? targetList(targetsArg, report) : undefined;
  if (!ok || rank === undefined || alpha === undefined || dropout === undefined || targets === null) return undefined;
  return targets ? { rank, alpha, dropout, targets } : { rank, alpha, dropout };
}

function integerAtLeast(a: EvArg, min: number, name: string, report: Report): number | undefined {
  if (a.value.kind === 'error') return undefined;
  if (a.value.kind !== 'int') {
    report('argumentType', a.at.range, `lora '${name}' must be an integer, got ${describeValue(a.value)}`);
    return undefined;
  }
  if (a.value.value < min) {
    report('argumentRange', a.at.range, `lora '${name}' must be at least ${min}, got ${a.value.value}`);
    return undefined;
  }
  return a.value.value;
}

/** a number in [min, maxExclusive) */
function numberIn(a: EvArg, name: string, min: number, maxExclusive: number, report: Report): number | undefined {
  const v = a.value;
  if (v.kind === 'error') return undefined;
  if (v.kind !== 'int' && v.kind !== 'real') {
    report('argumentType', a.at.range, `lora '${name}' must be a number, got ${describeValue(v)}`);
    return undefined;
  }
  if (!(v.value >= min && v.value < maxExclusive)) {
    const bound = maxExclusive === Infinity ? `at least ${min}` : `in [${min}, ${maxExclusive})`;
    report('argumentRange', a.at.range, `lora '${name}' must be ${bound}, got ${v.value}`);
    return undefined;
  }
  return v.value;
}

/** targets: [q, v] (bare words or strings), each once; null when wrong (reported) */
function targetList(a: EvArg, report: Report): readonly LoraTarget[] | null {
  const v = a.value;
  if (v.kind === 'error') return null;
  const items: readonly Value[] = v.kind === 'list' ? v.items : [v];
  const out: LoraTarget[] = [];
  for (const item of items) {
    const name = item.kind === 'symbol' ? item.name : item.kind === 'string' ? item.value : undefined;
    const target = LORA_TARGETS.find((t) => t === name);
    if (!target) {
      const what = name !== undefined ? `'${name}'` : describeValue(item);
      report('argumentType', a.at.range, `lora targets are attention projections among q, k, v, o (a list: targets: [q, v]), got ${what}`);
      return null;
    }
    if (out.includes(target)) {
      report('duplicateArgument', a.at.range, `lora target '${target}' is given twice`);
      return null;
    }
    out.push(target);
  }
  if (out.length === 0) {
    report('argumentType', a.at.range, 'lora targets: name at least one of q, k, v, o');
    return null;
  }
  return out;
}

/** where the adapters' ops come from: the call's offsets, frame and checkpoint segment */
export type AdapterSite = Pick<OpRequest, 'spans' | 'siteFrom' | 'siteTo' | 'statementFrom' | 'statementTo' | 'callStack' | 'checkpointSegment'>;

/**
 * A dense layer's adapters beside its frozen `base` (which read `x`), as peft's LoRA Linear runs
 * them: base(x) + B(A(dropout(x))) * alpha / rank, A rank x F and B units x rank without biases.
 * They are ops of their own, so that their outputs, what their backward saves (A: its input, B:
 * the rank-wide intermediate) and their gradients are the graph's like any other layer's. The last
 * op (the sum) is the call's result and takes `name`.
 */
export function addDenseAdapters(builder: GraphBuilder, base: OpId, x: TensorId, units: number, lora: LoraSpec, site: AdapterSite, name: string | undefined): OpResult {
  // the site's fields only: `site` may be a whole request (frozen, with its own argument values)
  const { spans, siteFrom, siteTo, statementFrom, statementTo, callStack, checkpointSegment } = site;
  const add = (op: string, inputs: readonly TensorId[], args: Readonly<Record<string, ArgValue>>, named?: string): OpResult =>
    builder.add({ spans, siteFrom, siteTo, statementFrom, statementTo, callStack, checkpointSegment, op, inputs, args, ...(named !== undefined ? { name: named } : {}) });
  let input: OpResult = x;
  if (lora.dropout > 0) input = add('dropout', [x], { rate: lora.dropout });
  if (isRejection(input)) return input;
  const down = add('dense', [input], { units: lora.rank, bias: false });
  if (isRejection(down)) return down;
  const up = add('dense', [down], { units, bias: false });
  if (isRejection(up)) return up;
  const scaled = add('scale', [up], { factor: lora.alpha / lora.rank });
  if (isRejection(scaled)) return scaled;
  return add('add', [base, scaled], {}, name);
}
