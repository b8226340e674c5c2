// Registry wrappers for the two rules the liveness engine owns (budget.ts, inplace.ts): they get
// switches, ignore comments and fixes like every other rule.
import { budgetDiagnostics, BUDGET_CODE, perDeviceBudgetFinding } from './budget';
import { isParallel, parallelismOf } from '../analysis/perDevice';
import { inPlaceDiagnostics, INPLACE_CODE } from './inplace';
import type { FixSpec } from '../document';
import type { RawFinding, Rule } from './types';

export const budgetRule: Rule = {
  code: BUDGET_CODE,
  name: 'budget',
  defaultSeverity: 'error',
  summary: 'the planned peak exceeds the device memory',
  check(model, { memory }) {
    // over several devices the whole batch on one device is not what runs: the per-device figure is judged
    if (isParallel(parallelismOf(model.graph.config))) return perDeviceBudgetFinding(model, memory);
    const diagnostics = budgetDiagnostics(model.graph, memory);
    if (diagnostics.length === 0) return []; // within budget: the planner's batch limit is not needed
    const limit = memory.maxBatch.planned.batch;
    const fixes: FixSpec[] =
      limit !== null && limit !== model.graph.config.batch
        ? [{ kind: 'batch', model: model.graph.name, batch: limit, why: `the largest that fits ${model.graph.config.device.name}` }]
        : [];
    return diagnostics.map((d): RawFinding => ({
      range: d.range,
      message: d.message,
      ...(d.related ? { related: d.related } : {}),
      fixes,
    }));
  },
};

export const illegalInPlaceRule: Rule = {
  code: INPLACE_CODE,
  name: 'illegalInPlace',
  defaultSeverity: 'error',
  summary: 'an `inplace: true` the liveness analysis cannot honour',
  check(model, { memory }) {
    return inPlaceDiagnostics(model.graph, memory).map((d) => ({ range: d.range, message: d.message }));
  },
};
