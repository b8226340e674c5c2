// The rule registry: every lint rule with its code, default severity and settings name, run over
// each analysed model; settings switch rules off or change their severity, and
// `memlens-ignore` comments silence single findings.
import type { Finding, ModelAnalysis } from '../document';
import type { SourceLanguage } from '../frontend';
import { batchBloatRule } from './batchBloat';
import { checkpointCandidateRule } from './checkpointCandidate';
import { deadTensorRule } from './deadTensor';
import { budgetRule, illegalInPlaceRule } from './engineRules';
import { isIgnored, parseIgnores } from './ignore';
import { loweringBloatRule } from './loweringBloat';
import { missedInPlaceRule } from './missedInPlace';
import { precisionRule } from './precision';
import { simdUnderfillRule } from './simdUnderfill';
import { zeroStageRule } from './zeroStage';
import { DEFAULT_RULE_SETTINGS, type RawFinding, type Rule, type RuleSettings } from './types';

export const RULES: readonly Rule[] = [
  budgetRule,
  illegalInPlaceRule,
  batchBloatRule,
  loweringBloatRule,
  missedInPlaceRule,
  simdUnderfillRule,
  precisionRule,
  checkpointCandidateRule,
  deadTensorRule,
  zeroStageRule,
];

export function ruleByCode(code: string): Rule | undefined {
  return RULES.find((r) => r.code === code);
}

export interface RunRulesOptions {
  readonly text: string;
  readonly language: SourceLanguage;
  /** the language's line comment, for `memlens-ignore` comments */
  readonly lineComment: string;
  readonly settings?: RuleSettings;
}

/** every enabled rule over every model, minus the findings an ignore comment silences */
export function runRules(models: readonly ModelAnalysis[], options: RunRulesOptions): Finding[] {
  const settings = options.settings ?? DEFAULT_RULE_SETTINGS;
  const ignores = parseIgnores(options.text, options.lineComment);
  const out: Finding[] = [];
  models.forEach((model, index) => {
    const memory = model.memory;
    if (!memory) return; // hand-built analyses without the liveness engine: nothing to lint
    for (const rule of RULES) {
      const level = settings.levels[rule.name] ?? rule.defaultSeverity;
      if (level === 'off') continue;
      let raws: readonly RawFinding[];
      try {
        raws = rule.check(model, { memory, thresholds: settings.thresholds, language: options.language });
      } catch (err) {
        // a rule's bug must not take the other findings down with it; say so where it can be reported
        const why = err instanceof Error ? err.message : String(err);
        raws = [{ range: model.graph.nameRange, message: `internal error in memlens rule ${rule.name} (${rule.code}), please report it: ${why}` }];
      }
      for (const raw of raws) {
        if (isIgnored(ignores, rule.code, raw.range.start.line)) continue;
        out.push({
          range: raw.range,
          severity: level,
          code: rule.code,
          message: raw.message,
          ...(raw.related ? { related: raw.related } : {}),
          rule: rule.name,
          model: index,
          fixes: raw.fixes ?? [],
        });
      }
    }
  });
  return out;
}
