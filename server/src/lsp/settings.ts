// The `memlens.*` settings: analysis defaults that sit under each file's own `config`,
// and switches for the editor features. Invalid values are reported and ignored, never fatal.
import type { ConfigOverrides } from '../core/config';
import { CONFIG_KEYS, parseConfigSetting, type ConfigKey } from '../core/dsl/config';
import { DEFAULT_RULE_SETTINGS, type RuleSettings } from '../core/rules/types';
import { parseRuleSettings } from './ruleSettings';

export interface MemlensSettings {
  /** defaults under the file's own config */
  readonly defaults: ConfigOverrides;
  readonly inlayHints: { readonly enabled: boolean; readonly showParams: boolean };
  readonly codeLens: { readonly enabled: boolean };
  readonly diagnostics: { readonly delayMs: number };
  /** memlens.rules.<name> (severity or off) and memlens.thresholds.* */
  readonly rules: RuleSettings;
  /** memlens.python.torchVersion: undefined keeps the frontend's default (the current 2.x release) */
  readonly torchVersion?: string;
  /** one line per ignored setting, for the log */
  readonly problems: readonly string[];
}

export const DEFAULT_SETTINGS: MemlensSettings = {
  defaults: {},
  inlayHints: { enabled: true, showParams: true },
  codeLens: { enabled: true },
  diagnostics: { delayMs: 150 },
  rules: DEFAULT_RULE_SETTINGS,
  problems: [],
};

/** the `memlens` section as the client sends it (any shape) -> settings */
export function parseSettings(raw: unknown): MemlensSettings {
  const section = isRecord(raw) ? raw : {};
  const problems: string[] = [];
  let defaults: ConfigOverrides = {};
  for (const key of CONFIG_KEYS) {
    const v = section[key];
    if (v === undefined || v === null || v === '') continue;
    // a boolean key (sequenceParallel) comes as JSON true / false, read as the .nnm word
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      problems.push(`memlens.${key}: expected a string, got ${shown(v)}`);
      continue;
    }
    const parsed = parseConfigText(key, String(v));
    if (typeof parsed === 'string') problems.push(`memlens.${key}: ${parsed}`);
    else defaults = { ...defaults, ...parsed };
  }
  // a group that is not an object, or a switch that is not a boolean, is named and left at its default
  const group = (name: string): Record<string, unknown> => {
    const v = section[name];
    if (isRecord(v)) return v;
    if (v !== undefined && v !== null) problems.push(`memlens.${name}: expected an object, got ${shown(v)}`);
    return {};
  };
  const bool = (name: string, v: unknown, fallback: boolean): boolean => {
    if (typeof v === 'boolean') return v;
    if (v !== undefined && v !== null) problems.push(`memlens.${name}: expected true or false, got ${shown(v)}`);
    return fallback;
  };
  const hints = group('inlayHints');
  const lens = group('codeLens');
  const diags = group('diagnostics');
  const delay = diags['delayMs'];
  if (delay !== undefined && delay !== null && !(typeof delay === 'number' && Number.isFinite(delay) && delay >= 0)) {
    problems.push(`memlens.diagnostics.delayMs: expected a number of milliseconds >= 0, got ${shown(delay)}`);
  }
  const python = group('python');
  const torchVersion = python['torchVersion'];
  if (torchVersion !== undefined && torchVersion !== null && (typeof torchVersion !== 'string' || !TORCH_VERSION.test(torchVersion))) {
    problems.push(`memlens.python.torchVersion: expected a version such as "2.5" or "1.13", got ${shown(torchVersion)}`);
  }
  return {
    ...(typeof torchVersion === 'string' && TORCH_VERSION.test(torchVersion) ? { torchVersion } : {}),
    defaults,
    inlayHints: {
      enabled: bool('inlayHints.enabled', hints['enabled'], DEFAULT_SETTINGS.inlayHints.enabled),
      showParams: bool('inlayHints.showParams', hints['showParams'], DEFAULT_SETTINGS.inlayHints.showParams),
    },
    codeLens: { enabled: bool('codeLens.enabled', lens['enabled'], DEFAULT_SETTINGS.codeLens.enabled) },
    diagnostics: {
      delayMs: typeof delay === 'number' && Number.isFinite(delay) && delay >= 0 ? Math.min(delay, 10_000) : DEFAULT_SETTINGS.diagnostics.delayMs,
    },
    rules: parseRuleSettings(group('rules'), group('thresholds'), problems),
    problems,
  };
}

/**
 * One setting's text -> config overrides, or a message. Settings go through the DSL's own
 * config parser, so a setting accepts exactly what a `config { }` line accepts.
 */
export function parseConfigText(key: ConfigKey, text: string): ConfigOverrides | string {
  const r = parseConfigSetting(key, text);
  return r.value ?? r.error ?? `invalid ${key} '${text}'`;
}

/** a torch release: major.minor, optionally .patch */
export const TORCH_VERSION = /^\d+\.\d+(\.\d+)?$/;

/** a client's value for a message: JSON, cut short (a setting may be any size) */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
