// tf.layers that layers.ts hands here: dot, prelu, thresholdedReLU, the noise layers, maximum and
// minimum. Each is a registry op or a short chain of them; what the chain cannot say
// exactly is an unsupported diagnostic with its reason.
import type { LayerObject } from './values';
import { TFJS_CODES } from './codes';
import { LayerConfig, PlanError, type OpStep } from './layerConfig';

function unsupported(cfg: LayerConfig, key: string, message: string): never {
  throw new PlanError({ node: cfg.nodeOf(key), message, code: TFJS_CODES.unsupported, severity: 'info' });
}

/** a Keras axis of a tensor of `rank` per-sample axes (the batch is axis 0) as 1-based, batch included */
function kerasAxis(axis: number, rank: number): number {
  return axis < 0 ? rank + 1 + axis : axis;
}

/**
 * Dot of two tensors along one axis each (no weights): [d]·[d] -> [1]; on sequences the axes pick
 * which side is contracted, as a matmul between transposes: axes [2, 2] on [L, d], [M, d] -> [L, M].
 */
function dot(layer: LayerObject, cfg: LayerConfig, shapes: readonly (readonly number[])[]): OpStep[] {
  if (shapes.length !== 2) throw new PlanError({ node: layer.site, message: `dot takes two tensors, got ${shapes.length} (tf.js throws)`, code: TFJS_CODES.shape, severity: 'error' });
  if (cfg.bool('normalize', false)) unsupported(cfg, 'normalize', 'dot with normalize: true (an L2 normalization of both inputs first) is not supported by memlens yet');
  const [a, b] = shapes as [readonly number[], readonly number[]];
  const given = cfg.ints('axes');
  const [axA, axB] = (typeof given === 'number' ? [given, given] : given).map((ax, i) => kerasAxis(ax, (i === 0 ? a : b).length));
  if (axA === undefined || axB === undefined || (typeof given !== 'number' && given.length !== 2)) unsupported(cfg, 'axes', 'dot: axes must be one integer or a pair');
  if (a.length === 1 && b.length === 1) {
    // [1, d] @ [d, 1] -> [1, 1] -> [1]
    return [
      { op: 'reshape', args: { shape: [1, a[0]!] }, from: [0] },
      { op: 'reshape', args: { shape: [b[0]!, 1] }, from: [1] },
      { op: 'matmul', args: {}, from: [2, 3] },
      { op: 'reshape', args: { shape: [1] }, from: [4] },
    ];
  }
  if (a.length === 2 && b.length === 2 && [1, 2].includes(axA) && [1, 2].includes(axB)) {
    // the contracted axis must be a's last and b's first; step j is at index 2 + j
    const steps: OpStep[] = [];
    let left = 0;
    let right = 1;
    if (axA === 1) left = 1 + steps.push({ op: 'transpose', args: { perm: [1, 0] }, from: [0] });
    if (axB === 2) right = 1 + steps.push({ op: 'transpose', args: { perm: [1, 0] }, from: [1] });
    steps.push({ op: 'matmul', args: {}, from: [left, right] });
    return steps;
  }
  return unsupported(cfg, 'axes', `dot of [${a.join(', ')}] and [${b.join(', ')}] per sample: only vectors and matrices (batched) are supported by memlens yet`);
}

/** PReLU: one slope per element of the per-sample shape, except along sharedAxes */
function prelu(layer: LayerObject, cfg: LayerConfig, shape: readonly number[]): OpStep[] {
  const shared = cfg.has('sharedAxes') ? [cfg.ints('sharedAxes')].flat() : [];
  const per = shape.map((d, i) => (shared.includes(i + 1) ? 1 : d));
  const slopes = per.reduce((n, d) => n * d, 1);
  const channels = shape[shape.length - 1] ?? 1;
  // the registry's prelu keeps one slope or one per channel
  if (slopes !== 1 && (slopes !== channels || per[per.length - 1] !== channels)) {
    unsupported(cfg, 'sharedAxes', `prelu with ${slopes} slopes (one per element of [${shape.join(', ')}] outside sharedAxes) is not supported by memlens yet: only one slope, or one per channel (sharedAxes over every other axis)`);
  }
  void layer;
  return [{ op: 'prelu', args: { num_parameters: slopes } }];
}

export function extraSteps(layer: LayerObject, cfg: LayerConfig, inputShapes: readonly (readonly number[])[]): OpStep[] | undefined {
  const shape = inputShapes[0] ?? [];
  switch (layer.type) {
    case 'dot':
      return dot(layer, cfg, inputShapes);
    case 'prelu':
      return prelu(layer, cfg, shape);
    case 'thresholdedReLU':
      // x where x > theta, else 0
      return [{ op: 'threshold', args: { threshold: cfg.number('theta', 1), value: 0 } }];
    case 'alphaDropout':
      return [{ op: 'alpha_dropout', args: { rate: cfg.number('rate', 0) } }];
    case 'gaussianDropout':
      // multiplies by noise of mean 1 while training (kept for backward), identity at inference
      return [{ op: 'alpha_dropout', args: { rate: cfg.number('rate', 0) }, profileGap: 'gaussianDropout' }];
    case 'gaussianNoise':
      return [{ op: 'gaussian_noise', args: { stddev: cfg.number('stddev', 0) } }];
    case 'maximum':
    case 'minimum':
      if (inputShapes.length !== 2) unsupported(cfg, '', `${layer.type} of ${inputShapes.length} tensors: only two are supported by memlens yet`);
      return [{ op: 'extremum', args: { kind: layer.type === 'maximum' ? 'max' : 'min' } }];
    default:
      return undefined;
  }
}
