// Per-step live bytes by category at the configured batch: data for a chart and a compact text view.
import { atBatch, formatBytes, type SymbolicBytes } from '../units';
import { CATEGORIES, type Category } from './liveness';
import type { Phase } from './schedule';

export interface TimelineRow {
  readonly step: number;
  readonly phase: Phase;
  /** op name (absent for the optimizer step) */
  readonly op?: string;
  /** 0-based line of the statement the step comes from; null for the optimizer step */
  readonly line: number | null;
  readonly bytes: Readonly<Record<Category, number>>;
  readonly total: number;
}

/** one step as the timeline needs it */
export interface TimelineStep {
  readonly index: number;
  readonly phase: Phase;
  readonly opName?: string;
  readonly line: number | null;
}

/** the categories live for the whole run, outside the steps' liveness */
type AlwaysLive = 'weights' | 'buffers' | 'optimizer' | 'kvCache';

function isAlwaysLive(c: Category): c is AlwaysLive {
  return c === 'weights' || c === 'buffers' || c === 'optimizer' || c === 'kvCache';
}

export function buildTimeline(
  steps: readonly TimelineStep[],
  perStep: readonly Readonly<Record<Category, SymbolicBytes>>[],
  alwaysLive: Readonly<Record<AlwaysLive, SymbolicBytes>>,
  batch: number,
): TimelineRow[] {
  return steps.map((step, i) => {
    const bytes = {} as Record<Category, number>;
    let total = 0;
    for (const c of CATEGORIES) {
      const sym = isAlwaysLive(c) ? alwaysLive[c] : perStep[i]![c];
      bytes[c] = atBatch(sym, batch);
      total += bytes[c];
    }
    return {
      step: step.index,
      phase: step.phase,
      ...(step.opName !== undefined ? { op: step.opName } : {}),
      line: step.line,
      bytes,
      total,
    };
  });
}

const PHASE_TAG: Readonly<Record<Phase, string>> = { forward: 'fwd', recompute: 'rec', backward: 'bwd', optimizer: 'opt' };
const SHORT: Readonly<Record<Category, string>> = {
  weights: 'W',
  buffers: 'B',
  optimizer: 'O',
  kvCache: 'KV',
  activations: 'act',
  savedActivations: 'saved',
  activationGradients: 'dact',
  weightGradients: 'dW',
  workspace: 'ws',
};

/** one line per step: index, phase, source line, op, total, a bar scaled to the peak, non-zero categories */
export function formatTimeline(rows: readonly TimelineRow[], width = 24): string {
  const peak = rows.reduce((m, r) => Math.max(m, r.total), 0);
  const lines = rows.map((r) => {
    const bar = '#'.repeat(peak > 0 ? Math.round((r.total / peak) * width) : 0).padEnd(width);
    const parts = CATEGORIES.filter((c) => r.bytes[c] !== 0).map((c) => `${SHORT[c]} ${formatBytes(r.bytes[c])}`);
    const where = r.line === null ? '    ' : `L${r.line + 1}`.padEnd(4);
    const mark = r.total === peak ? ' <- peak' : '';
    return `${String(r.step).padStart(4)} ${PHASE_TAG[r.phase]} ${where} ${(r.op ?? 'optimizer').padEnd(14)} ${formatBytes(r.total).padStart(10)} |${bar}| ${parts.join(', ')}${mark}`;
  });
  return lines.join('\n');
}
