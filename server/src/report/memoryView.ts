// What the memory view draws, as a pure function of one model's analysis: live bytes at every step
// of the schedule stacked by kind, the device budget, the peak step, and the planner's buffers as
// offset x time rectangles. The VS Code view and the HTML report draw the same data.
import type { ModelAnalysis } from '../core/document';
import type { Graph } from '../core/ir';
import type { Category } from '../core/analysis/liveness';
import { atBatch } from '../core/units';

/** the kinds a user tells apart, in stacking order (always-live state at the bottom) */
export const VIEW_KINDS = ['weights', 'optimizer', 'kvCache', 'savedActivations', 'activations', 'workspace', 'gradients'] as const;
export type ViewKind = (typeof VIEW_KINDS)[number];

export const KIND_LABELS: Readonly<Record<ViewKind, string>> = {
  weights: 'weights and buffers',
  optimizer: 'optimizer state',
  kvCache: 'KV cache',
  savedActivations: 'saved activations',
  activations: 'transient activations',
  workspace: 'workspace',
  gradients: 'gradients',
};

const KIND_OF: Readonly<Record<Category, ViewKind>> = {
  weights: 'weights',
  buffers: 'weights',
  optimizer: 'optimizer',
  kvCache: 'kvCache',
  savedActivations: 'savedActivations',
  activations: 'activations',
  workspace: 'workspace',
  activationGradients: 'gradients',
  weightGradients: 'gradients',
};

export interface ViewStep {
  readonly index: number;
  readonly phase: string;
  readonly op: string | null;
  /** 0-based line of the statement; null for the optimizer step */
  readonly line: number | null;
  readonly bytes: Readonly<Record<ViewKind, number>>;
  readonly total: number;
  /** ids of the largest planned buffers live at this step, largest first (at most LARGEST_PER_STEP): the hover's list */
  readonly largest: readonly number[];
  /** per kind, the id of the largest buffer of that kind live here: what a click on that band reveals */
  readonly largestOfKind: Readonly<Partial<Record<ViewKind, number>>>;
}

/** how many tensors a step's hover lists */
export const LARGEST_PER_STEP = 5;

export interface ViewBuffer {
  /** its index in MemoryViewData.buffers, what steps and rectangles refer to it by */
  readonly id: number;
  /** the tensor it holds (or whose gradient it is), as the hover names it */
  readonly label: string;
  readonly kind: ViewKind;
  readonly shape: string | null;
  readonly offset: number;
  readonly bytes: number;
  /** steps it is live: from its write to its last read, inclusive */
  readonly from: number;
  readonly to: number;
  /** 0-based line of the op that writes it */
  readonly line: number;
}

/** one device's parts under parallelism, in stacking order (the per-device bar) */
export const DEVICE_PARTS = ['weights', 'gradients', 'optimizer', 'kvCache', 'activations', 'workspace'] as const;
export type DevicePart = (typeof DEVICE_PARTS)[number];

export const DEVICE_PART_LABELS: Readonly<Record<DevicePart, string>> = {
  weights: 'weights and buffers',
  gradients: 'weight gradients',
  optimizer: 'optimizer state',
  kvCache: 'KV cache',
  activations: 'activations',
  workspace: 'workspace',
};

/** what one device holds when the config asks for parallelism (report/perDeviceView.ts builds it) */
export interface ViewPerDevice {
  /** the code lens' line: "per GPU: 18.8 GiB of 24 GiB on 8 x a10g-24gb, ZeRO-2" (or why there is no figure) */
  readonly line: string;
  /** "GPU" */
  readonly kind: string;
  readonly budget: number;
  /** null when there is no figure (`line` says why) */
  readonly bytes: Readonly<Record<DevicePart, number>> | null;
  readonly total: number | null;
  /** kept in host memory per device process (offload: cpu) */
  readonly host: number;
  readonly microBatch: number | null;
}

export interface MemoryViewData {
  readonly model: string;
  readonly line: number;
  readonly mode: string;
  readonly batch: number;
  readonly precision: string;
  readonly device: string;
  readonly budget: number;
  readonly planned: number;
  readonly lowerBound: number;
  readonly expectedPeak: number | null;
  readonly framework: string;
  readonly peakStep: number | null;
  readonly steps: readonly ViewStep[];
  /** planned buffers (not the always-live weights, buffers and optimizer state) */
  readonly buffers: readonly ViewBuffer[];
  /** the largest batch whose planned peak fits, null when unbounded or none */
  readonly maxBatch: number | null;
  /** one device's breakdown against its budget when the config asks for parallelism; null otherwise */
  readonly perDevice: ViewPerDevice | null;
}

function shapeOf(graph: Graph, tensor: number | undefined): string | null {
  const t = tensor === undefined ? undefined : graph.tensors[tensor];
  return t ? `[N, ${t.shape.join(', ')}]`.replace(', ]', ']') : null;
}

/**
 * for every step, the ids of the `k` largest buffers (of those `keep` accepts, with bytes) live there,
 * largest first, ties to the lower id. The buffers are visited largest first and each fills the steps
 * it spans that still have room; steps already full are skipped through a next-step-with-room link
 * (path-halving union-find), so the cost is O(buffers log buffers + steps x k), not steps x buffers.
 */
export function largestLive(buffers: readonly ViewBuffer[], stepCount: number, k: number, keep: (b: ViewBuffer) => boolean): number[][] {
  const out: number[][] = Array.from({ length: stepCount }, () => []);
  const next = Int32Array.from({ length: stepCount + 1 }, (_, i) => i);
  const room = (s: number): number => {
    while (next[s] !== s) s = next[s] = next[next[s]!]!;
    return s;
  };
  const order = buffers.filter((b) => b.bytes > 0 && keep(b)).sort((a, b) => b.bytes - a.bytes || a.id - b.id);
  for (const b of order) {
    for (let s = room(Math.max(0, b.from)); s <= Math.min(b.to, stepCount - 1); s = room(s + 1)) {
      out[s]!.push(b.id);
      if (out[s]!.length === k) next[s] = s + 1;
    }
  }
  return out;
}

/**
 * `detail: false` leaves out the steps and buffers (the status bar's figures only): the timeline and
 * the buffers are built on first read, which a status bar refreshed as the cursor moves need not pay.
 * `perDevice` comes from report/perDeviceView.ts, kept apart so that the webview's bundle of this
 * file does not pull in the analyses.
 */
export function memoryViewData({ graph, memory }: ModelAnalysis, detail = true, perDevice: ViewPerDevice | null = null): MemoryViewData | undefined {
  if (!memory) return undefined;
  const batch = graph.config.batch;
  const buffers: ViewBuffer[] = !detail ? [] : memory.buffers.map((b) => {
    const tensor = b.tensor === undefined ? undefined : graph.tensors[b.tensor];
    const name = tensor?.name ?? graph.ops[b.op]?.op ?? `buffer ${b.id}`;
    // a weight gradient is named after the output of the op whose weights it is: dW(h) for h = dense(x, 3)
    const made = graph.ops[b.op] ? graph.tensors[graph.ops[b.op]!.output]?.name : undefined;
    const label = b.category === 'weightGradients' ? `dW(${made ?? name})` : b.category === 'activationGradients' ? `d${name}` : name;
    return {
      id: b.id,
      label,
      kind: KIND_OF[b.category],
      shape: b.category === 'weightGradients' ? null : shapeOf(graph, b.tensor),
      offset: b.offset,
      bytes: atBatch(b.bytes, batch),
      from: b.liveFrom,
      to: b.liveTo,
      line: graph.ops[b.op]?.site.start.line ?? graph.nameRange.start.line,
    };
  });
  const timeline = detail ? memory.timeline : [];
  const largest = largestLive(buffers, timeline.length, LARGEST_PER_STEP, () => true);
  const ofKind = VIEW_KINDS.map((kind) => [kind, largestLive(buffers, timeline.length, 1, (b) => b.kind === kind)] as const);
  const steps: ViewStep[] = timeline.map((row, i) => {
    const bytes = Object.fromEntries(VIEW_KINDS.map((k) => [k, 0])) as Record<ViewKind, number>;
    for (const [category, n] of Object.entries(row.bytes) as [Category, number][]) bytes[KIND_OF[category]] += n;
    const largestOfKind: Partial<Record<ViewKind, number>> = {};
    for (const [kind, perStep] of ofKind) if (perStep[i]!.length > 0) largestOfKind[kind] = perStep[i]![0]!;
    return { index: row.step, phase: row.phase, op: row.op ?? null, line: row.line, bytes, total: row.total, largest: largest[i]!, largestOfKind };
  });
  return {
    model: graph.name,
    line: graph.nameRange.start.line,
    mode: graph.config.mode,
    batch,
    precision: graph.config.precision,
    device: graph.config.device.name,
    budget: graph.config.device.memoryBytes,
    planned: memory.bytes.planned,
    lowerBound: memory.bytes.lowerBound,
    expectedPeak: memory.bytes.expectedPeak,
    framework: graph.config.framework,
    peakStep: memory.peakStep?.index ?? null,
    steps,
    buffers,
    maxBatch: memory.maxBatch.planned.batch,
    perDevice,
  };
}
