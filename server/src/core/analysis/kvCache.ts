// Generate mode's KV cache: while a model generates token by token, every self-attention layer
// keeps the keys and values of all past positions, 2 x positions x (kv heads x head dim) values
// per sequence, at the activation dtype. It is live for the whole run, like the weights, and grows
// with the batch: the cache of a batch of N sequences is N times one sequence's.
import { activationDType } from '../graphBuilder';
import { DTYPE_BYTES, type Graph, type OpId } from '../ir';
import { graphColumns } from '../graphColumns';
import { opContextOf } from './opArgs';
import { atBatch, type SymbolicBytes } from '../units';

export interface KvCacheLayer {
  readonly op: OpId;
  /** keys and values of one position, in elements */
  readonly perPosition: number;
  /** positions cached: the model's `context`, else the sequence length the layer is written for */
  readonly positions: number;
  /** per sequence (per sample) */
  readonly bytesPerSample: number;
}

export interface KvCache {
  readonly layers: readonly KvCacheLayer[];
  readonly bytesPerSample: number;
  /** one more position in every layer's cache, per sequence */
  readonly bytesPerPosition: number;
}

const NO_CACHE: KvCache = { layers: [], bytesPerSample: 0, bytesPerPosition: 0 };

/** the KV cache of a graph in generate mode; empty in the other modes */
export function kvCacheOf(graph: Graph): KvCache {
  const config = graph.config;
  if (config.mode !== 'generate') return NO_CACHE;
  const activation = activationDType(config);
  const elementBytes = DTYPE_BYTES[activation];
  const c = graphColumns(graph);
  const layers: KvCacheLayer[] = [];
  let bytesPerSample = 0;
  let bytesPerPosition = 0;
  for (let i = 0; i < c.opCount; i++) {
    const spec = c.opSpec[i];
    if (!spec?.kvCacheElements) continue;
    const { perPosition, positions: written } = spec.kvCacheElements(opContextOf(c, i, config.layout, activation));
    const positions = config.context ?? written;
    const bytes = perPosition * positions * elementBytes;
    layers.push({ op: i, perPosition, positions, bytesPerSample: bytes });
    bytesPerSample += bytes;
    bytesPerPosition += perPosition * elementBytes;
  }
  return { layers, bytesPerSample, bytesPerPosition };
}

/**
 * The largest `context` (every layer's cache the same length) at which the planned peak still fits
 * the device: the plan less the cache it counts, plus the cache at that context. The activations
 * are the written graph's and do not change with the context. null without a cache or a plan.
 */
/** what largestContext reads of a model's analysis (a ModelAnalysis; the footprint imports this file) */
export interface CacheFigures {
  readonly graph: Graph;
  readonly footprint: { readonly kvCachePerPosition: number; readonly bytes: { readonly kvCache: SymbolicBytes } };
  readonly memory?: { readonly bytes: { readonly planned: number } };
}

export function largestContext({ graph, footprint, memory }: CacheFigures): number | null {
  const batch = graph.config.batch;
  const perPosition = footprint.kvCachePerPosition * batch;
  if (perPosition <= 0 || !memory) return null;
  const rest = memory.bytes.planned - atBatch(footprint.bytes.kvCache, batch);
  const room = graph.config.device.memoryBytes - rest;
  return room <= 0 ? 0 : Math.floor(room / perPosition);
}
