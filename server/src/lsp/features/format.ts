// Small formatters shared by hover, inlay hints and code lens. Each figure is formatted in one
// place so later analyses (liveness peak, planned memory) slot in beside the existing lines.
import { devicePreset } from '../../core/devices';
import { lookupOp } from '../../core/ops/registry';
import type { BatchLimit } from '../../core/analysis/batch';
import { totalDevices, type PerDeviceResult } from '../../core/analysis/perDevice';
import type { BlockInfo } from '../../core/frontend';
import type { AttrValue, Device, ModelConfig, Optimizer, ParamCount } from '../../core/ir';
import { atBatch, formatBytes, formatInt, type SymbolicBytes } from '../../core/units';

/** per-sample shape with the symbolic batch in front: [N, 64, 112, 112] */
export function formatShape(shape: readonly number[]): string {
  return `[${['N', ...shape.map(String)].join(', ')}]`;
}

/** bytes, or a plain statement that the figure cannot be counted exactly */
export function bytesText(n: number): string {
  return Number.isSafeInteger(n) ? formatBytes(n) : 'over 2^53 B (overflow)';
}

/** "3.06 MiB x N", "97.5 MiB", "195 MiB + 3.06 MiB x N" */
export function symbolicText(b: SymbolicBytes): string {
  if (b.perSample === 0) return bytesText(b.fixed);
  const per = `${bytesText(b.perSample)} x N`;
  return b.fixed === 0 ? per : `${bytesText(b.fixed)} + ${per}`;
}

/** "3.06 MiB x N = 98 MiB at batch 32"; a batch-independent figure stays as it is */
export function symbolicAtBatch(b: SymbolicBytes, batch: number): string {
  if (b.perSample === 0) return bytesText(b.fixed);
  return `${symbolicText(b)} = ${bytesText(atBatch(b, batch))} at batch ${batch}`;
}

export function totalParams(p: ParamCount): number {
  return p.trainable + p.nonTrainable;
}

/** "9,408" or "25,557,032 trainable, 53,120 non-trainable", with the frozen weights among them when a model's count has some */
export function paramsText(p: ParamCount & { readonly frozen?: number }): string {
  if (p.nonTrainable === 0) return formatInt(p.trainable);
  return `${formatInt(p.trainable)} trainable, ${formatInt(p.nonTrainable)} non-trainable${p.frozen ? ` (${formatInt(p.frozen)} frozen)` : ''}`;
}

export function attrText(value: AttrValue): string {
  if (value === null) return 'none';
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return String(value);
}

/**
 * "filters: 64, kernel: 7, stride: 2, pad: 3, bias: false": the arguments as the op received them,
 * leaving out unset options and those equal to the registry's default
 */
export function attrsText(op: string, attrs: Readonly<Record<string, AttrValue>>): string {
  const spec = lookupOp(op);
  return Object.entries(attrs)
    .filter(([name, v]) => {
      if (v === null) return false;
      const dflt = spec?.args.find((a) => a.name === name)?.default;
      return dflt === undefined || attrText(dflt) !== attrText(v);
    })
    .map(([k, v]) => `${k}: ${attrText(v)}`)
    .join(', ');
}

export function optimizerText(o: Optimizer): string {
  return o.kind === 'sgd' && o.momentum > 0 ? `sgd(momentum: ${o.momentum})` : o.kind;
}

/** a preset by its name, a custom device by kind and memory: "v100-16gb", "gpu 16 GiB" */
export function deviceText(device: Device): string {
  const preset = devicePreset(device.name);
  if (preset && preset.memoryBytes === device.memoryBytes) return device.name;
  return `${device.kind} ${formatBytes(device.memoryBytes)}`;
}

/** "train · batch 32 · fp32 · sgd(momentum: 0.9) · v100-16gb" */
export function configText(c: ModelConfig): string {
  const parts = [c.mode, `batch ${c.batch}`, c.precision];
  if (c.mode === 'train') parts.push(optimizerText(c.optimizer));
  parts.push(deviceText(c.device));
  return parts.join(' · ');
}

/** "fits v100-16gb" / "exceeds v100-16gb by 2.1 GiB" */
export function fitText(totalBytes: number, device: Device): string {
  if (!Number.isSafeInteger(totalBytes)) return `exceeds ${deviceText(device)} (overflow)`;
  const over = totalBytes - device.memoryBytes;
  return over <= 0 ? `fits ${deviceText(device)}` : `exceeds ${deviceText(device)} by ${formatBytes(over)}`;
}

/** the hover's longer form: "fits v100-16gb, 11.2 GiB to spare" */
export function fitDetailText(totalBytes: number, device: Device): string {
  if (!Number.isSafeInteger(totalBytes) || totalBytes > device.memoryBytes) return fitText(totalBytes, device);
  return `fits ${deviceText(device)}, ${formatBytes(device.memoryBytes - totalBytes)} to spare`;
}

/** a 0-based line as the editor shows it: "line 23" */
export function lineText(line: number): string {
  return `line ${line + 1}`;
}

/** a fraction as a percentage with one decimal: "0.7%", "12.5%"; a non-zero sliver stays visible */
export function percentText(fraction: number): string {
  if (!Number.isFinite(fraction)) return 'n/a';
  const pct = fraction * 100;
  if (pct > 0 && pct < 0.05) return '<0.1%';
  return `${stripPointZero(pct.toFixed(1))}%`;
}

function stripPointZero(s: string): string {
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/** "198", "any batch" (nothing grows with N), "no batch fits" */
export function batchLimitText(limit: BatchLimit): string {
  if (limit.batch !== null) return formatInt(limit.batch);
  return limit.reason === 'unbounded' ? 'any batch' : 'no batch fits';
}

/**
 * The planned peak against the device, with the largest batch that fits:
 * "fits 16 GiB up to batch 198", "exceeds 16 GiB by 1.2 GiB · fits up to batch 12"
 */
export function plannedFitText(planned: number, device: Device, limit: BatchLimit): string {
  const memory = formatBytes(device.memoryBytes);
  const upTo = limit.batch !== null ? `up to batch ${formatInt(limit.batch)}` : limit.reason === 'unbounded' ? 'at any batch' : undefined;
  if (Number.isSafeInteger(planned) && planned <= device.memoryBytes) return `fits ${memory}${upTo ? ` ${upTo}` : ''}`;
  const over = Number.isSafeInteger(planned) ? `exceeds ${memory} by ${formatBytes(planned - device.memoryBytes)}` : `exceeds ${memory} (overflow)`;
  return `${over} · ${upTo ? `fits ${upTo}` : 'no batch fits'}`;
}

/** a block as written: "bottleneck(x, width, out, stride: 1, project: false)" */
export function blockSignatureText(info: BlockInfo): string {
  const params = info.params.map((p) => (p.default !== undefined ? `${p.name}: ${p.default}` : p.name));
  return `${info.name}(${params.join(', ')})`;
}

/** one config key's value as a config line would write it */
export function configValueText(c: ModelConfig, key: string): string | undefined {
  switch (key) {
    case 'mode':
    case 'precision':
    case 'layout':
    case 'lowering':
    case 'framework':
      return c[key];
    case 'batch':
      return String(c.batch);
    case 'optimizer':
      return optimizerText(c.optimizer);
    case 'device':
      return deviceText(c.device);
    default:
      return undefined;
  }
}

/**
 * "per GPU: 18.2 GiB of 24 GiB on 8 x a10g-24gb, ZeRO-2" (or why there is no figure); under tensor
 * or pipeline parallelism the total and its degrees: "on 64 x a100-80gb (DP 8 x TP 4 x PP 2), ZeRO-1"
 */
export function perDeviceText(r: PerDeviceResult, device: Device): string {
  const p = r.parallelism;
  const modelParallel = p.tensorParallel > 1 || p.pipeline > 1;
  const total = totalDevices(p);
  const degrees = modelParallel ? ` (DP ${p.devices} x TP ${p.tensorParallel}${p.sequenceParallel && p.tensorParallel > 1 ? ' with SP' : ''} x PP ${p.pipeline})` : '';
  const strategy = [`${total} x ${deviceText(device)}${degrees}`, ...(p.zero > 0 ? [`ZeRO-${p.zero}`] : [])];
  if (p.gradientAccumulation > 1) strategy.push(`${p.gradientAccumulation} accumulation steps`);
  if (p.microbatches > 1) strategy.push(`${p.microbatches} micro-batches`);
  if (p.offload !== 'none') strategy.push(`offload ${p.offload}`);
  const head = `per ${device.kind.toUpperCase()}`;
  if ('error' in r) return `${head}: no figure (${r.error})`;
  if (r.stage !== undefined) strategy.push(`fullest stage ${r.stage + 1} of ${p.pipeline}`);
  const host = r.bytes.host > 0 ? ` (+${formatBytes(r.bytes.host)} host)` : '';
  return `${head}: ${formatBytes(r.bytes.total)} of ${formatBytes(device.memoryBytes)} on ${strategy.join(', ')}${host}`;
}
