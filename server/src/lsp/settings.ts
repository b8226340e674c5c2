// The `memlens.*` settings: analysis defaults that sit under each file's own `config`,
// and switches for the editor features. Invalid values are reported and ignored, never fatal.
import type { ConfigOverrides } from '../core/config';
import { customDevice, devicePreset } from '../core/devices';
import type { Device, DeviceKind, Layout, Lowering, Mode, Optimizer, OptimizerKind, Precision } from '../core/ir';
import { parseSize } from '../core/units';

export interface MemlensSettings {
  /** defaults under the file's own config */
  readonly defaults: ConfigOverrides;
  readonly inlayHints: { readonly enabled: boolean; readonly showParams: boolean };
  readonly codeLens: { readonly enabled: boolean };
  readonly diagnostics: { readonly delayMs: number };
  /** one line per ignored setting, for the log */
  readonly problems: readonly string[];
}

export const DEFAULT_SETTINGS: MemlensSettings = {
  defaults: {},
  inlayHints: { enabled: true, showParams: true },
  codeLens: { enabled: true },
  diagnostics: { delayMs: 150 },
  problems: [],
};

const MODES: readonly Mode[] = ['train', 'infer'];
const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16', 'mixed', 'int8'];
const LAYOUTS: readonly Layout[] = ['nchw', 'nhwc'];
const LOWERINGS: readonly Lowering[] = ['auto', 'im2col', 'direct'];

/** the `memlens` section as the client sends it (any shape) -> settings */
export function parseSettings(raw: unknown): MemlensSettings {
  const section = isRecord(raw) ? raw : {};
  const problems: string[] = [];
  const defaults: { -readonly [K in keyof ConfigOverrides]: ConfigOverrides[K] } = {};
  const str = (key: string): string | undefined => {
    const v = section[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v.trim();
    problems.push(`memlens.${key}: expected a string, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const oneOf = <T extends string>(key: string, values: readonly T[]): T | undefined => {
    const v = str(key);
    if (v === undefined) return undefined;
    if ((values as readonly string[]).includes(v)) return v as T;
    problems.push(`memlens.${key}: '${v}' is not one of ${values.join(', ')}`);
    return undefined;
  };
  defaults.mode = oneOf('mode', MODES);
  defaults.precision = oneOf('precision', PRECISIONS);
  defaults.layout = oneOf('layout', LAYOUTS);
  defaults.lowering = oneOf('lowering', LOWERINGS);
  const batch = section['batch'];
  if (batch !== undefined && batch !== null && batch !== '') {
    if (typeof batch === 'number' && Number.isSafeInteger(batch) && batch >= 1) defaults.batch = batch;
    else problems.push(`memlens.batch: expected a positive integer, got ${JSON.stringify(batch)}`);
  }
  for (const key of ['optimizer', 'device'] as const) {
    const text = str(key);
    if (text === undefined) continue;
    const parsed = parseConfigText(key, text);
    if (typeof parsed === 'string') problems.push(`memlens.${key}: ${parsed}`);
    else if (key === 'optimizer') defaults.optimizer = parsed as Optimizer;
    else defaults.device = parsed as Device;
  }
  const hints = isRecord(section['inlayHints']) ? section['inlayHints'] : {};
  const lens = isRecord(section['codeLens']) ? section['codeLens'] : {};
  const diags = isRecord(section['diagnostics']) ? section['diagnostics'] : {};
  const delay = diags['delayMs'];
  return {
    defaults: stripUndefined(defaults),
    inlayHints: {
      enabled: bool(hints['enabled'], DEFAULT_SETTINGS.inlayHints.enabled),
      showParams: bool(hints['showParams'], DEFAULT_SETTINGS.inlayHints.showParams),
    },
    codeLens: { enabled: bool(lens['enabled'], DEFAULT_SETTINGS.codeLens.enabled) },
    diagnostics: {
      delayMs: typeof delay === 'number' && Number.isFinite(delay) && delay >= 0 ? Math.min(delay, 10_000) : DEFAULT_SETTINGS.diagnostics.delayMs,
    },
    problems,
  };
}

/**
 * `device` / `optimizer` setting text -> value, or a message. The one seam to the DSL's own
 * config parser, so a setting accepts exactly what a `config { }` line accepts.
 */
export function parseConfigText(key: 'optimizer' | 'device', text: string): Optimizer | Device | string {
  return key === 'optimizer' ? parseOptimizer(text) : parseDevice(text);
}

const CALL = /^([a-z]+)\s*(?:\(\s*(\w+)\s*:\s*([^)]*?)\s*\))?$/;

function parseOptimizer(text: string): Optimizer | string {
  const m = CALL.exec(text);
  const kinds: readonly OptimizerKind[] = ['none', 'sgd', 'adam', 'adamw'];
  if (!m || !(kinds as readonly string[]).includes(m[1]!)) return `'${text}' is not an optimizer (none, sgd, sgd(momentum: 0.9), adam, adamw)`;
  const kind = m[1] as OptimizerKind;
  if (m[2] === undefined) return { kind, momentum: 0 };
  const momentum = Number(m[3]);
  if (kind !== 'sgd' || m[2] !== 'momentum' || !(momentum >= 0 && momentum < 1)) return `'${text}': only sgd takes momentum, in [0, 1)`;
  return { kind, momentum };
}

function parseDevice(text: string): Device | string {
  const preset = devicePreset(text);
  if (preset) return preset;
  const m = CALL.exec(text);
  const kinds: readonly DeviceKind[] = ['gpu', 'cpu', 'ipu'];
  if (!m || !(kinds as readonly string[]).includes(m[1]!) || m[2] !== 'memory') {
    return `'${text}' is not a device preset or gpu|cpu|ipu(memory: SIZE)`;
  }
  const bytes = parseSize(m[3]!);
  if (bytes === undefined || bytes <= 0) return `'${m[3]}' is not a memory size such as 16GiB`;
  return customDevice(m[1] as DeviceKind, bytes);
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined(o: ConfigOverrides): ConfigOverrides {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ConfigOverrides;
}
