// The lint-rule contract: a rule reads one model's analysis and returns findings; each finding
// names the fixes that apply to it as data (core/document.ts), and core/fixes turns a fix into text edits.
import type { FixSpec, ModelAnalysis } from '../document';
import type { MemoryAnalysis } from '../analysis/memory';
import type { Severity, SourceRange } from '../ir';
import type { SourceLanguage } from '../frontend';

/** what a rule returns: the registry adds code, severity, rule and model */
export interface RawFinding {
  readonly range: SourceRange;
  readonly message: string;
  readonly related?: readonly { range: SourceRange; message: string }[];
  readonly fixes?: readonly FixSpec[];
}

export interface RuleThresholds {
  /** batch bloat: share of the peak that grows with the batch (0..1) */
  readonly batchBloatShare: number;
  /** batch bloat: smallest batch-proportional bytes at the peak worth a warning */
  readonly batchBloatBytes: number;
  /** lowering bloat: smallest im2col workspace reported, bytes at the configured batch */
  readonly loweringBloatBytes: number;
  /** lowering bloat: smallest workspace / input ratio reported */
  readonly loweringBloatRatio: number;
  /** precision: smallest planned peak (bytes) worth the hint; a few MiB of fp32 is not worth a precision change */
  readonly precisionBytes: number;
  /** checkpoint candidate: planned peak above this share of the device memory (0..1); over budget always counts */
  readonly checkpointShare: number;
}

export type RuleLevel = Severity | 'off';

export interface RuleSettings {
  /** per rule settings name: a severity, or 'off'; absent = the rule's default */
  readonly levels: Readonly<Record<string, RuleLevel>>;
  readonly thresholds: RuleThresholds;
}

export const DEFAULT_THRESHOLDS: RuleThresholds = {
  batchBloatShare: 0.75,
  batchBloatBytes: 1024 ** 3,
  loweringBloatBytes: 256 * 1024 ** 2,
  loweringBloatRatio: 4,
  precisionBytes: 1024 ** 3,
  checkpointShare: 0.9,
};

export const DEFAULT_RULE_SETTINGS: RuleSettings = { levels: {}, thresholds: DEFAULT_THRESHOLDS };

export interface RuleContext {
  readonly memory: MemoryAnalysis;
  readonly thresholds: RuleThresholds;
  readonly language: SourceLanguage;
}

export interface Rule {
  readonly code: string;
  /** settings key: memlens.rules.<name> */
  readonly name: string;
  readonly defaultSeverity: Severity;
  /** one line for docs and settings */
  readonly summary: string;
  check(model: ModelAnalysis, context: RuleContext): readonly RawFinding[];
}

/** a stable key for a source range (grouping a block body's expansions by their call) */
export function rangeKey(r: SourceRange): string {
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

/**
 * The same grouping as rangeKey for hot maps: one exact integer (20 + 12 + 8 + 12 bits) where the
 * range fits those bits, so no string is built per op; the string key otherwise (never equal to a number).
 */
export function rangeId(r: SourceRange): number | string {
  const { line, character } = r.start;
  const lines = r.end.line - line;
  const end = r.end.character;
  if (line >= 0 && line < 1048576 && character >= 0 && character < 4096 && lines >= 0 && lines < 256 && end >= 0 && end < 4096 &&
      Number.isInteger(line) && Number.isInteger(character) && Number.isInteger(lines) && Number.isInteger(end)) {
    return ((line * 4096 + character) * 256 + lines) * 4096 + end;
  }
  return rangeKey(r);
}

