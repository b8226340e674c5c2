// Shared wording for rule messages: which tensor a buffer holds, lines, percentages.
import type { MemoryAnalysis } from '../analysis/memory';
import type { Graph } from '../ir';
import { opAt, tensorAt } from '../graphObjects';
import { atBatch, formatBytes } from '../units';

const KIND_WORDS: Readonly<Record<string, string>> = {
  activation: '',
  recomputed: 'recomputed ',
  'saved-extra': 'saved state of ',
  'activation-gradient': 'gradient of ',
  'weight-gradient': 'weight gradient of ',
  workspace: 'workspace of ',
};

/** "relu 'y' (line 14)", "gradient of conv2d 'x' (line 23)" */
export function describeBuffer(graph: Graph, memory: MemoryAnalysis, bufferId: number): string {
  const b = memory.buffer(bufferId)!;
  const op = opAt(graph, b.op);
  const tensor = b.tensor !== undefined ? tensorAt(graph, b.tensor) : undefined;
  const name = tensor && !tensor.name.includes('#') ? ` '${tensor.name}'` : '';
  return `${KIND_WORDS[b.kind] ?? ''}${op.op}${name} (line ${op.site.start.line + 1})`;
}

export function bufferBytes(memory: MemoryAnalysis, bufferId: number): number {
  return atBatch(memory.buffer(bufferId)!.bytes, memory.batch);
}

export function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '0%';
}

/** "fits 16 GiB" / "exceeds 16 GiB by 2.1 GiB" */
export function fitWords(bytes: number, budget: number): string {
  return bytes <= budget ? `fits ${formatBytes(budget)}` : `exceeds ${formatBytes(budget)} by ${formatBytes(bytes - budget)}`;
}

/** lower bound (max over steps of live bytes) at another batch */
export function lowerBoundAt(memory: MemoryAnalysis, batch: number): number {
  let best = 0;
  const { stepLiveFixed: fixed, stepLivePerSample: perSample } = memory;
  for (let i = 0; i < fixed.length; i++) best = Math.max(best, fixed[i]! + perSample[i]! * batch);
  return best;
}

// The planned peak lies between the lower bound and the naive total; where those decide a
// comparison, the arena plan (the costliest step of an analysis) need not run for a diagnostic.

/** planned peak > limit */
export function plannedExceeds(memory: MemoryAnalysis, limit: number): boolean {
  if (memory.bytes.lowerBound > limit) return true;
  if (atBatch(memory.bytes.naive, memory.batch) <= limit) return false;
  return memory.bytes.planned > limit;
}

/** planned peak < limit */
export function plannedBelow(memory: MemoryAnalysis, limit: number): boolean {
  if (atBatch(memory.bytes.naive, memory.batch) < limit) return true;
  if (memory.bytes.lowerBound >= limit) return false;
  return memory.bytes.planned < limit;
}
