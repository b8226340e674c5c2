// Hover lines from the liveness engine: a tensor's live range, whether backward keeps it, its share
// of the peak; a model's naive / lower bound / planned totals, its peak step and batch limits.
// Reads MemoryAnalysis only: no lazy getter (checkpoint, timeline) is touched here.
import { expectedPeakLine, FRAMEWORK_PROFILES } from '../../core/analysis/framework';
import type { BufferMemory, MemoryAnalysis, StepInfo, TensorMemory } from '../../core/analysis/memory';
import type { Graph, ModelConfig, TensorId } from '../../core/ir';
import { atBatch, formatInt } from '../../core/units';
import { batchLimitText, bytesText, deviceText, lineText, percentText } from './format';

/** "line 10 (forward)"; the optimizer step has no line */
export function stepText(steps: readonly StepInfo[], index: number): string {
  return stepInfoText(steps[index], index);
}

function stepInfoText(step: StepInfo | undefined, index: number): string {
  if (!step) return `step ${index}`;
  return step.line === null ? `the ${step.phase} step` : `${lineText(step.line)} (${step.phase})`;
}

function liveRangeText(memory: MemoryAnalysis, from: number, to: number): string {
  if (from < 0) return 'never live';
  // one step's row each: building every step's for a hover cost a 10,000-op model's first hover ~20 ms
  const at = (index: number): string => stepInfoText(memory.step(index), index);
  if (from === to) return `live at ${at(from)} only`;
  return `live from ${at(from)} to ${at(to)}`;
}

/** the peak step in a few words: "line 33 (backward of `conv2d`)" */
function peakWhere(memory: MemoryAnalysis, graph: Graph): string {
  const peak = memory.peakStep;
  if (!peak) return 'no step';
  const op = peak.op !== undefined ? graph.ops[peak.op]?.op : undefined;
  const what = op ? `${peak.phase} of \`${op}\`` : peak.phase;
  return peak.line === null ? `the ${what} step` : `${lineText(peak.line)} (${what})`;
}

const isLiveAt = (t: TensorMemory, step: number): boolean => t.liveFrom >= 0 && t.liveFrom <= step && step <= t.liveTo;

/** one tensor (a single instance) */
export function tensorMemoryLines(memory: MemoryAnalysis, graph: Graph, id: TensorId): string[] {
  const t = memory.tensor(id);
  if (!t) return [];
  const lines = [`- ${liveRangeText(memory, t.liveFrom, t.liveTo)}`];
  if (memory.mode === 'train') {
    if (t.recomputed) lines.push(`- ${t.savedForBackward ? 'saved for backward, ' : ''}recomputed during backward (checkpointed)`);
    else lines.push(t.savedForBackward ? '- saved for backward' : '- not saved for backward');
  }
  if (t.inPlace) lines.push("- in place: shares its input's buffer");
  const peak = memory.peakStep;
  if (peak && t.liveFrom >= 0) {
    const bytes = atBatch(t.bytes, memory.batch);
    const peakBytes = memory.bytes.lowerBound;
    lines.push(
      isLiveAt(t, peak.index)
        ? `- ${percentText(bytes / peakBytes)} of the peak: ${bytesText(bytes)} of ${bytesText(peakBytes)} live at ${peakWhere(memory, graph)}`
        : `- not live at the peak, ${peakWhere(memory, graph)}`,
    );
  }
  return lines;
}

/** several instances of one name (a block body): the range over all, how many are saved, live at the peak */
export function instancesMemoryLines(memory: MemoryAnalysis, graph: Graph, ids: readonly TensorId[]): string[] {
  const ts = ids.map((id) => memory.tensor(id)).filter((t): t is TensorMemory => t !== undefined && t.liveFrom >= 0);
  if (ts.length === 0) return [];
  const n = ids.length;
  const from = ts.reduce((m, t) => Math.min(m, t.liveFrom), Infinity);
  const to = ts.reduce((m, t) => Math.max(m, t.liveTo), -Infinity);
  const lines = [`- ${liveRangeText(memory, from, to)} over its instances`];
  const count = (pred: (t: TensorMemory) => boolean): number => ts.filter(pred).length;
  if (memory.mode === 'train') {
    const saved = count((t) => t.savedForBackward);
    const recomputed = count((t) => t.recomputed);
    lines.push(`- saved for backward: ${saved} of ${n}${recomputed > 0 ? `, ${recomputed} recomputed during backward (checkpointed)` : ''}`);
  }
  const inPlace = count((t) => t.inPlace);
  if (inPlace > 0) lines.push(`- in place: ${inPlace} of ${n} share their input's buffer`);
  const peak = memory.peakStep;
  if (peak) {
    const atPeak = ts.filter((t) => isLiveAt(t, peak.index));
    const bytes = atPeak.reduce((sum, t) => sum + atBatch(t.bytes, memory.batch), 0);
    lines.push(
      atPeak.length > 0
        ? `- ${atPeak.length} of ${n} live at the peak, ${bytesText(bytes)}: ${percentText(bytes / memory.bytes.lowerBound)} of ${bytesText(memory.bytes.lowerBound)} at ${peakWhere(memory, graph)}`
        : `- none live at the peak, ${peakWhere(memory, graph)}`,
    );
  }
  return lines;
}

/** a buffer as the user knows it: "`x` (relu, line 33)", "gradient of `y` (conv2d, line 33)" */
function bufferLabel(buffer: BufferMemory, graph: Graph): string {
  const node = graph.ops[buffer.op];
  const where = node ? ` (${node.op}, ${lineText(node.statement.start.line)})` : '';
  const name = buffer.tensor !== undefined ? `\`${graph.tensors[buffer.tensor]?.name ?? '?'}\`` : 'a tensor';
  switch (buffer.kind) {
    case 'activation':
      return `${name}${where}`;
    case 'recomputed':
      return `${name} recomputed${where}`;
    case 'saved-extra':
      return `saved state${where}`;
    case 'activation-gradient':
      return `gradient of ${name}${where}`;
    case 'weight-gradient':
      return `weight gradient${where}`;
    case 'workspace':
      return `workspace${where}`;
  }
}

/** what the framework will hold next to what a planner needs; nothing for the ideal profile */
function expectedLine(memory: MemoryAnalysis, graph: Graph): string | undefined {
  const framework = graph.config.framework;
  if (framework === 'ideal') return undefined;
  const label = FRAMEWORK_PROFILES[framework].label;
  const result = memory.expected;
  if ('reason' in result) return `- ${label}: no expected peak (${result.reason})`;
  const e = result.expected;
  const line = expectedPeakLine(e, graph);
  const where = e.phase === 'step' ? ' (the optimizer step)' : e.phase && line !== null ? ` (${e.phase} of line ${line + 1})` : '';
  const parts = [
    ['weights and buffers', e.breakdown.weights + e.breakdown.buffers],
    ['activations', e.breakdown.activations],
    ['saved state', e.breakdown.saved],
    ['temporaries', e.breakdown.temporaries],
    ['gradients', e.breakdown.activationGradients + e.breakdown.weightGradients],
    ['optimizer', e.breakdown.optimizer],
  ] as const;
  const split = parts.filter(([, v]) => v > 0).map(([k, v]) => `${k} ${bytesText(v)}`).join(', ');
  return `- ${label} will hold ${bytesText(e.bytes)}${where}: ${split}; a planner could fit this in ${bytesText(memory.bytes.planned)}`;
}

/** the model's liveness totals, peak, workspace and batch limits */
export function modelMemoryLines(memory: MemoryAnalysis, graph: Graph): string[] {
  const c: ModelConfig = graph.config;
  const b = memory.bytes;
  const lines = [
    `- naive (no reuse): ${bytesText(atBatch(b.naive, c.batch))}`,
    `- lower bound: ${bytesText(b.lowerBound)}`,
    `- planned: ${bytesText(b.planned)} (fragmentation ${percentText(b.fragmentation)})`,
  ];
  const framework = expectedLine(memory, graph);
  if (framework) lines.push(framework);
  const peak = memory.peakStep;
  if (peak) {
    lines.push(`- peak: ${peakWhere(memory, graph)}, step ${formatInt(peak.index)} of ${formatInt(memory.steps.length)}`);
    const top = peak.buffers.slice(0, 3).map((id) => memory.buffers[id]).filter((x): x is BufferMemory => x !== undefined);
    if (top.length > 0) lines.push(`- largest live there: ${top.map((x) => `${bufferLabel(x, graph)} ${bytesText(atBatch(x.bytes, c.batch))}`).join(', ')}`);
  }
  lines.push(`- workspace: ${bytesText(atBatch(b.workspace, c.batch))}`);
  const { planned, lowerBound } = memory.maxBatch;
  const limit = `- max batch on ${deviceText(c.device)}: ${batchLimitText(planned)}`;
  lines.push(planned.batch !== lowerBound.batch || planned.reason !== lowerBound.reason ? `${limit} (lower bound: ${batchLimitText(lowerBound)})` : limit);
  const simd = memory.simd;
  if (simd.batch !== null && simd.planned !== null) {
    const verdict = simd.fits ? 'fits' : `exceeds ${deviceText(c.device)}`;
    lines.push(`- SIMD fill: batch ${simd.batch} (${simd.lanes} lanes), planned ${bytesText(simd.planned)}, ${verdict}`);
  }
  return lines;
}
