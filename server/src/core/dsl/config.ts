// `config { key: value }` in .nnm terms: keys, their values, and the same parser for one
// value written in settings or on the command line (`--device gpu(memory: 16GiB)`).
import type { ConfigOverrides } from '../config';
import { customDevice, DEVICE_PRESETS, devicePreset } from '../devices';
import type { CoreDiagnostic, DeviceKind, Framework, Layout, Lowering, Mode, Offload, OptimizerKind, Precision, Quantize, SourceRange, ZeroStage } from '../ir';
import type { ConfigItem, Expr, Item, Statement } from './ast';
import { diag } from './codes';
import { parseExpression } from './parser';
import { didYouMean } from './suggest';
import { asInt, asNumber, binaryOp, describeValue, formatReal, type Value } from './values';

export const CONFIG_KEYS = ['mode', 'batch', 'precision', 'optimizer', 'device', 'layout', 'lowering', 'framework', 'devices', 'zero', 'offload', 'gradientAccumulation', 'context', 'tensorParallel', 'sequenceParallel', 'pipeline', 'microbatches', 'quantize'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

export const MODES: readonly Mode[] = ['train', 'infer', 'generate'];
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16', 'mixed', 'int8', 'fp64'];
export const OPTIMIZERS: readonly OptimizerKind[] = ['none', 'sgd', 'adam', 'adamw'];
export const LAYOUTS: readonly Layout[] = ['nchw', 'nhwc'];
export const LOWERINGS: readonly Lowering[] = ['auto', 'im2col', 'direct'];
export const FRAMEWORK_NAMES: readonly Framework[] = ['ideal', 'pytorch', 'tfjs'];
export const OFFLOADS: readonly Offload[] = ['none', 'cpu'];
export const QUANTIZES: readonly Quantize[] = ['none', 'int8', 'nf4', 'nf4-dq'];
const DEVICE_KINDS: readonly DeviceKind[] = ['gpu', 'cpu', 'ipu'];
/** largest batch accepted: keeps every byte figure far from the exactly-countable limit */
export const MAX_BATCH = 2 ** 31 - 1;
/** largest tensor- or pipeline-parallel degree accepted: beyond any cluster, and keeps per-stage work bounded */
export const MAX_PARALLEL = 4096;

/** one-line description of what each key accepts (docs, completion, errors) */
export const CONFIG_VALUE_HELP: Readonly<Record<ConfigKey, string>> = {
  mode: 'train | infer | generate',
  batch: `an integer from 1 to ${MAX_BATCH}`,
  precision: PRECISIONS.join(' | '),
  optimizer: 'none | sgd | sgd(momentum: m) | adam | adamw (each may take set_to_none: true)',
  device: `a preset (${Object.keys(DEVICE_PRESETS).join(', ')}) or gpu|cpu|ipu(memory: SIZE)`,
  layout: 'nchw | nhwc',
  lowering: 'auto | im2col | direct',
  framework: 'ideal | pytorch | tfjs',
  devices: `the data-parallel world size, an integer from 1 to ${MAX_BATCH}`,
  zero: 'the ZeRO stage 0 | 1 | 2 | 3 (FSDP: NO_SHARD = 0, SHARD_GRAD_OP = 2, FULL_SHARD = 3)',
  offload: 'none | cpu (optimizer state, and at ZeRO stage 3 the parameters, in host memory)',
  gradientAccumulation: `micro-batches per optimizer step, an integer from 1 to ${MAX_BATCH}`,
  context: `generate mode: the positions the KV cache holds (prompt and new tokens), an integer from 1 to ${MAX_BATCH}`,
  tensorParallel: `the tensor-parallel degree T (Megatron-style: heads, MLP columns and rows, vocabulary split over T), an integer from 1 to ${MAX_PARALLEL}`,
  sequenceParallel: 'true | false (with tensorParallel: norms, dropout and residuals split along the sequence)',
  pipeline: `pipeline stages P (layers split into P contiguous stages, 1F1B schedule), an integer from 1 to ${MAX_PARALLEL}`,
  microbatches: `micro-batches per pipeline step M, an integer from 1 to ${MAX_BATCH}`,
  quantize: 'none | int8 | nf4 | nf4-dq (frozen dense and attention weights as bitsandbytes stores them)',
};

type ValueResult = { value: ConfigOverrides; error?: undefined } | { value?: undefined; error: string; range?: SourceRange };

export function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as readonly string[]).includes(key);
}


/** the `config` items among `nodes`, evaluated and merged in order (a later key wins); their problems go to `diagnostics` */
export function mergeConfigItems(nodes: readonly (Item | Statement)[], diagnostics: CoreDiagnostic[]): ConfigOverrides {
  let merged: ConfigOverrides = {};
  for (const node of nodes) {
    if (node.kind !== 'config') continue;
    const r = evalConfigItem(node);
    diagnostics.push(...r.diagnostics);
    merged = { ...merged, ...r.overrides };
  }
  return merged;
}
/** evaluate a `config { }` item to overrides; later keys win, duplicates warn */
export function evalConfigItem(item: ConfigItem): { overrides: ConfigOverrides; diagnostics: CoreDiagnostic[] } {
  // filled in place (this function owns it): a spread per entry makes a new shape each time
  const overrides: ConfigOverrides = {};
  const diagnostics: CoreDiagnostic[] = [];
  const seen = new Set<string>();
  for (const entry of item.entries) {
    const key = entry.key.name;
    if (!isConfigKey(key)) {
      diagnostics.push(diag('configKey', entry.key.range, `unknown config key '${key}'${didYouMean(key, CONFIG_KEYS)} (keys: ${CONFIG_KEYS.join(', ')})`));
      continue;
    }
    if (seen.has(key)) diagnostics.push(diag('configDuplicate', entry.key.range, `config key '${key}' is given twice; the last one wins`, 'warning'));
    seen.add(key);
    if (entry.value.kind === 'error') continue;
    const r = evalConfigValue(key, entry.value, entry.valueText);
    if (r.error !== undefined) diagnostics.push(diag('configValue', r.range ?? entry.value.range, r.error));
    else Object.assign(overrides, r.value);
  }
  return { overrides, diagnostics };
}

/** parse one config value written in .nnm syntax (VS Code settings, CLI flags) */
export function parseConfigSetting(key: string, valueText: string): { value?: ConfigOverrides; error?: string } {
  if (!isConfigKey(key)) return { error: `unknown config key '${key}'${didYouMean(key, CONFIG_KEYS)}` };
  const parsed = parseExpression(valueText);
  if (parsed.diagnostics.length > 0) return { error: `invalid ${key} '${valueText.trim()}': ${parsed.diagnostics[0]!.message}` };
  const r = evalConfigValue(key, parsed.expr, valueText.trim());
  return r.error !== undefined ? { error: r.error } : { value: r.value };
}

export function evalConfigValue(key: ConfigKey, expr: Expr, valueText: string): ValueResult {
  switch (key) {
    case 'mode':
      return word(expr, key, MODES, (mode) => ({ mode }));
    case 'precision':
      return word(expr, key, PRECISIONS, (precision) => ({ precision }));
    case 'layout':
      return word(expr, key, LAYOUTS, (layout) => ({ layout }));
    case 'lowering':
      return word(expr, key, LOWERINGS, (lowering) => ({ lowering }));
    case 'framework':
      return word(expr, key, FRAMEWORK_NAMES, (framework) => ({ framework }));
    case 'batch':
      return batchValue(expr);
    case 'optimizer':
      return optimizerValue(expr);
    case 'device':
      return deviceValue(expr, valueText);
    case 'offload':
      return word(expr, key, OFFLOADS, (offload) => ({ offload }));
    case 'devices':
      return countValue(expr, key, (devices) => ({ devices }));
    case 'gradientAccumulation':
      return countValue(expr, key, (gradientAccumulation) => ({ gradientAccumulation }));
    case 'context':
      return countValue(expr, key, (context) => ({ context }));
    case 'tensorParallel':
      return countValue(expr, key, (tensorParallel) => ({ tensorParallel }), MAX_PARALLEL);
    case 'pipeline':
      return countValue(expr, key, (pipeline) => ({ pipeline }), MAX_PARALLEL);
    case 'microbatches':
      return countValue(expr, key, (microbatches) => ({ microbatches }));
    case 'sequenceParallel':
      return boolValue(expr, key, (sequenceParallel) => ({ sequenceParallel }));
    case 'quantize':
      return quantizeValue(expr, valueText);
    case 'zero':
      return zeroValue(expr);
  }
}

function word<T extends string>(expr: Expr, key: string, allowed: readonly T[], make: (v: T) => ConfigOverrides): ValueResult {
  const w = expr.kind === 'ident' ? expr.name : expr.kind === 'string' ? expr.value : undefined;
  if (w !== undefined && (allowed as readonly string[]).includes(w)) return { value: make(w as T) };
  const shown = w !== undefined ? `'${w}'` : 'this value';
  return { error: `${shown} is not a valid ${key}; expected ${allowed.join(' | ')}${w !== undefined ? didYouMean(w, allowed) : ''}` };
}

/** nf4-dq is written with its '-' (parsed, it is nf4 minus dq): read from the source text */
function quantizeValue(expr: Expr, valueText: string): ValueResult {
  const text = expr.kind === 'string' ? expr.value : valueText.replace(/\s+/g, '');
  if ((QUANTIZES as readonly string[]).includes(text)) return { value: { quantize: text as Quantize } };
  return { error: `'${text}' is not a valid quantize; expected ${QUANTIZES.join(' | ')}${didYouMean(text, QUANTIZES)}` };
}

function batchValue(expr: Expr): ValueResult {
  const v = constEval(expr);
  if ('error' in v) return { error: `batch: ${v.error}` };
  const n = asInt(v);
  if (!n.ok) return { error: `batch: ${n.message}` };
  if (n.value < 1 || n.value > MAX_BATCH) return { error: `batch must be from 1 to ${MAX_BATCH}, got ${n.value}` };
  return { value: { batch: n.value } };
}

/** a positive integer such as devices, gradientAccumulation or context */
function countValue(expr: Expr, key: ConfigKey, make: (n: number) => ConfigOverrides, max = MAX_BATCH): ValueResult {
  const v = constEval(expr);
  if ('error' in v) return { error: `${key}: ${v.error}` };
  const n = asInt(v);
  if (!n.ok) return { error: `${key}: ${n.message}` };
  if (n.value < 1 || n.value > max) return { error: `${key} must be from 1 to ${max}, got ${n.value}` };
  return { value: make(n.value) };
}

/** true or false, written as the literal or (settings, flags) as the word */
function boolValue(expr: Expr, key: ConfigKey, make: (b: boolean) => ConfigOverrides): ValueResult {
  if (expr.kind === 'bool') return { value: make(expr.value) };
  return word(expr, key, ['true', 'false'], (w) => make(w === 'true'));
}

function zeroValue(expr: Expr): ValueResult {
  const v = constEval(expr);
  if ('error' in v) return { error: `zero: ${v.error}` };
  const n = asInt(v);
  if (!n.ok) return { error: `zero: ${n.message}` };
  if (n.value !== 0 && n.value !== 1 && n.value !== 2 && n.value !== 3) return { error: `zero must be a ZeRO stage 0, 1, 2 or 3, got ${n.value}` };
  const zero: ZeroStage = n.value;
  return { value: { zero } };
}

function optimizerValue(expr: Expr): ValueResult {
  if (expr.kind === 'ident' || expr.kind === 'string') {
    return word(expr, 'optimizer', OPTIMIZERS, (kind) => ({ optimizer: { kind, momentum: 0 } }));
  }
  if (expr.kind !== 'call') return { error: `expected an optimizer: ${CONFIG_VALUE_HELP.optimizer}` };
  const kind = expr.callee.name;
  if (!(OPTIMIZERS as readonly string[]).includes(kind) || kind === 'none') {
    return { error: `unknown optimizer '${kind}'${didYouMean(kind, OPTIMIZERS)} (expected ${CONFIG_VALUE_HELP.optimizer})`, range: expr.callee.range };
  }
  let momentum = 0;
  let setToNone = false;
  for (const arg of expr.args) {
    const name = arg.name?.name ?? (kind === 'sgd' ? 'momentum' : '');
    if (name !== 'set_to_none' && (kind !== 'sgd' || name !== 'momentum')) {
      return { error: `${kind}(...) takes ${kind === 'sgd' ? "'momentum' and 'set_to_none'" : "only 'set_to_none'"}`, range: arg.range };
    }
    const v = constEval(arg.value);
    if ('error' in v) return { error: v.error, range: arg.value.range };
    if (name === 'set_to_none') {
      // PyTorch's zero_grad(set_to_none=...): the previous step's gradients freed, not zeroed
      if (v.kind !== 'bool') return { error: `set_to_none: expected true or false, got ${describeValue(v)}`, range: arg.value.range };
      setToNone = v.value;
      continue;
    }
    const m = asNumber(v);
    if (!m.ok) return { error: `momentum: ${m.message}`, range: arg.value.range };
    if (!(m.value >= 0 && m.value < 1)) return { error: `momentum must be at least 0 and below 1, got ${formatReal(m.value)}`, range: arg.value.range };
    momentum = m.value;
  }
  return { value: { optimizer: { kind: kind as OptimizerKind, momentum, ...(setToNone ? { setToNone } : {}) } } };
}

function deviceValue(expr: Expr, valueText: string): ValueResult {
  // presets contain '-' and digits (a100-40gb), so they are read from the source text
  const preset = devicePreset(valueText.replace(/\s+/g, ''));
  if (preset) return { value: { device: preset } };
  const presets = Object.keys(DEVICE_PRESETS);
  if (expr.kind === 'call') {
    const kind = expr.callee.name;
    if (!(DEVICE_KINDS as readonly string[]).includes(kind)) {
      return { error: `unknown device kind '${kind}'${didYouMean(kind, DEVICE_KINDS)} (expected gpu|cpu|ipu(memory: SIZE))`, range: expr.callee.range };
    }
    const arg = expr.args[0];
    if (!arg || expr.args.length > 1 || (arg.name && arg.name.name !== 'memory')) {
      return { error: `${kind}(...) takes one argument: memory, e.g. ${kind}(memory: 16GiB)`, range: expr.range };
    }
    const v = constEval(arg.value);
    if ('error' in v) return { error: v.error, range: arg.value.range };
    const bytes = v.kind === 'size' ? v.bytes : v.kind === 'int' ? v.value : undefined;
    if (bytes === undefined || !(bytes > 0)) {
      return { error: `memory must be a positive size such as 16GiB or 512MB, got ${describeValue(v)}`, range: arg.value.range };
    }
    return { value: { device: customDevice(kind as DeviceKind, bytes) } };
  }
  const text = valueText.trim();
  if (expr.kind === 'ident' && (DEVICE_KINDS as readonly string[]).includes(expr.name)) {
    return { error: `a custom ${expr.name} needs its memory: ${expr.name}(memory: 16GiB)` };
  }
  return { error: `unknown device '${text}'${didYouMean(text.replace(/\s+/g, ''), presets)} (expected a preset: ${presets.join(', ')}; or gpu|cpu|ipu(memory: SIZE))` };
}

/** literals, words and arithmetic: all a config value may hold */
export function constEval(expr: Expr): Value | { error: string } {
  switch (expr.kind) {
    case 'number':
      if (expr.isInt && !Number.isSafeInteger(expr.value)) return { error: `${expr.text} is too large to be an exact integer (the limit is 2^53 - 1)` };
      if (!Number.isFinite(expr.value)) return { error: `${expr.text} is too large` };
      return expr.isInt ? { kind: 'int', value: expr.value } : { kind: 'real', value: expr.value };
    case 'size':
      return expr.bytes === undefined ? { error: `${expr.text} is too large to count exactly in bytes` } : { kind: 'size', bytes: expr.bytes };
    case 'bool':
      return { kind: 'bool', value: expr.value };
    case 'string':
      return { kind: 'string', value: expr.value };
    case 'ident':
      return { kind: 'symbol', name: expr.name };
    case 'unary': {
      if (expr.op !== '-') return { error: "'not' is not allowed here" };
      const v = constEval(expr.operand);
      if ('error' in v) return v;
      const r = binaryOp('-', { kind: 'int', value: 0 }, v);
      return r.ok ? r.value : { error: r.message };
    }
    case 'binary': {
      const a = constEval(expr.left);
      if ('error' in a) return a;
      const b = constEval(expr.right);
      if ('error' in b) return b;
      const r = binaryOp(expr.op, a, b);
      return r.ok ? r.value : { error: r.message };
    }
    default:
      return { error: 'expected a literal value here' };
  }
}
