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
    if (typeof v !== 'string' && typeof v !== 'number') {
      problems.push(`memlens.${key}: expected a string, got ${JSON.stringify(v)}`);
      continue;
    }
    const parsed = parseConfigText(key, String(v));
    if (typeof parsed === 'string') problems.push(`memlens.${key}: ${parsed}`);
    else defaults = { ...defaults, ...parsed };
  }
  const hints = isRecord(section['inlayHints']) ? section['inlayHints'] : {};
  const lens = isRecord(section['codeLens']) ? section['codeLens'] : {};
  const diags = isRecord(section['diagnostics']) ? section['diagnostics'] : {};
  const delay = diags['delayMs'];
  const python = isRecord(section['python']) ? section['python'] : {};
  const torchVersion = python['torchVersion'];
  if (torchVersion !== undefined && torchVersion !== null && (typeof torchVersion !== 'string' || !TORCH_VERSION.test(torchVersion))) {
    problems.push(`memlens.python.torchVersion: expected a version such as "2.5" or "1.13", got ${JSON.stringify(torchVersion)}`);
  }
  return {
    ...(typeof torchVersion === 'string' && TORCH_VERSION.test(torchVersion) ? { torchVersion } : {}),
    defaults,
    inlayHints: {
      enabled: bool(hints['enabled'], DEFAULT_SETTINGS.inlayHints.enabled),
      showParams: bool(hints['showParams'], DEFAULT_SETTINGS.inlayHints.showParams),
    },
    codeLens: { enabled: bool(lens['enabled'], DEFAULT_SETTINGS.codeLens.enabled) },
    diagnostics: {
      delayMs: typeof delay === 'number' && Number.isFinite(delay) && delay >= 0 ? Math.min(delay, 10_000) : DEFAULT_SETTINGS.diagnostics.delayMs,
    },
    rules: parseRuleSettings(section['rules'], section['thresholds'], problems),
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

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
