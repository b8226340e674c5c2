// memlens.rules.<name>: "default" | "off" | "error" | "warning" | "info" (or "information") | "hint";
// memlens.thresholds.<key>: numbers (shares in 0..1, bytes as a number or a size such as "256MiB").
import { RULES } from '../core/rules';
import { DEFAULT_THRESHOLDS, type RuleLevel, type RuleSettings, type RuleThresholds } from '../core/rules/types';
import { parseSize } from '../core/units';

const LEVELS: readonly string[] = ['off', 'error', 'warning', 'info', 'hint'];

export function parseRuleSettings(rawRules: unknown, rawThresholds: unknown, problems: string[]): RuleSettings {
  const levels: Record<string, RuleLevel> = {};
  if (isRecord(rawRules)) {
    for (const [name, v] of Object.entries(rawRules)) {
      if (!RULES.some((r) => r.name === name)) {
        problems.push(`memlens.rules.${name}: no such rule (${RULES.map((r) => r.name).join(', ')})`);
        continue;
      }
      if (v === 'default' || v === undefined || v === null) continue;
      if (v === false) levels[name] = 'off';
      else if (v === 'information') levels[name] = 'info';
      else if (typeof v === 'string' && LEVELS.includes(v)) levels[name] = v as RuleLevel;
      else if (v !== true) problems.push(`memlens.rules.${name}: expected default, off, error, warning, info or hint, got ${JSON.stringify(v)}`);
    }
  }
  const thresholds: { -readonly [K in keyof RuleThresholds]: number } = { ...DEFAULT_THRESHOLDS };
  if (isRecord(rawThresholds)) {
    for (const [key, v] of Object.entries(rawThresholds)) {
      if (!(key in DEFAULT_THRESHOLDS)) {
        problems.push(`memlens.thresholds.${key}: unknown threshold`);
        continue;
      }
      const k = key as keyof RuleThresholds;
      const isBytes = k.endsWith('Bytes');
      const n = typeof v === 'number' ? v : typeof v === 'string' && isBytes ? parseSize(v) : undefined;
      const ok = n !== undefined && Number.isFinite(n) && n >= 0 && (isBytes || k.endsWith('Ratio') || n <= 1);
      if (ok) thresholds[k] = n;
      else problems.push(`memlens.thresholds.${key}: invalid value ${JSON.stringify(v)}`);
    }
  }
  return { levels, thresholds };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
