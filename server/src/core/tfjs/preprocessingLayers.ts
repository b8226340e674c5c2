// Preprocessing layers of the shared layer table: Rescaling, CenterCrop and Resizing (tf.js has
// them too), and Keras' Normalization and random augmentations (Keras for Python only). They sit
// at a model's input, channels-last; apart from layers.ts, which hands them here.
import type { LayerObject, Value } from './values';
import { TFJS_CODES } from './codes';
import { LayerConfig, opStep, PlanError, type OpStep } from './layerConfig';
import { attentionSteps } from './attentionLayers';

/** Keras' random augmentation layers, by the transform each applies */
const RANDOM_LAYERS: Readonly<Record<string, string>> = {
  randomFlip: 'flip',
  randomRotation: 'rotation',
  randomZoom: 'zoom',
  randomContrast: 'contrast',
  randomTranslation: 'translation',
  randomBrightness: 'brightness',
};

function unsupported(cfg: LayerConfig, key: string, message: string): never {
  throw new PlanError({ node: cfg.nodeOf(key), message, code: TFJS_CODES.unsupported, severity: 'info' });
}

/** images per sample: [H, W, C] */
function images(layer: LayerObject, cfg: LayerConfig, shape: readonly number[] | undefined): readonly number[] {
  if (cfg.has('dataFormat') && cfg.string('dataFormat', 'channelsLast') !== 'channelsLast') unsupported(cfg, 'dataFormat', `${layer.type}: only channels_last images are supported by memlens yet`);
  if (shape?.length !== 3) {
    throw new PlanError({ node: layer.site, message: `${layer.type} expects [height, width, channels] images per sample, got [${(shape ?? []).join(', ')}]`, code: TFJS_CODES.shape, severity: 'error' });
  }
  return shape;
}

/** Keras' axes count the batch as 0; the ops' count the first per-sample axis as 0 */
function perSampleAxes(v: Value | undefined, cfg: LayerConfig): number | number[] | 'none' {
  if (v === undefined) return -1;
  if (v.kind === 'number') return v.value < 0 ? v.value : v.value - 1;
  if (v.kind === 'array' && v.items.every((i) => i.kind === 'number')) return v.items.map((i) => (i.kind === 'number' ? (i.value < 0 ? i.value : i.value - 1) : 0));
  return cfg.ints('axis');
}

/** the steps of a layer layers.ts does not plan itself, or undefined when no file here knows it */
export function kerasOnlySteps(layer: LayerObject, cfg: LayerConfig, inputShapes: readonly (readonly number[])[]): OpStep[] | undefined {
  const type = layer.type;
  const shape = inputShapes[0];
  const op = opStep(layer);
  if (op) return [op];
  switch (type) {
    case 'rescaling':
      if (!cfg.has('scale')) throw new PlanError({ node: cfg.nodeOf('scale'), message: 'rescaling needs scale', code: TFJS_CODES.invalidConfig, severity: 'error' });
      // x * scale + offset: two kernels in tf.js and in Keras, the offset added even when it is 0
      return [
        { op: 'scale', args: { factor: cfg.number('scale', 1) } },
        { op: 'shift', args: { value: cfg.number('offset', 0) } },
      ];
    case 'centerCrop': {
      const [h, w] = images(layer, cfg, shape);
      const height = cfg.int('height');
      const width = cfg.int('width');
      // a crop onto a larger size resizes the image instead (Keras and tf.js)
      if (height > h! || width > w!) unsupported(cfg, height > h! ? 'height' : 'width', `centerCrop to ${height}x${width} from ${h}x${w} images resizes them, which memlens does not model yet`);
      const top = Math.floor((h! - height) / 2);
      const left = Math.floor((w! - width) / 2);
      return [{ op: 'cropping2d', args: { crop: [top, h! - height - top, left, w! - width - left] } }];
    }
    case 'resizing': {
      images(layer, cfg, shape);
      if (cfg.bool('cropToAspectRatio', false)) unsupported(cfg, 'cropToAspectRatio', 'resizing with crop_to_aspect_ratio crops before it resizes, which memlens does not model yet');
      const interpolation = cfg.string('interpolation', 'bilinear');
      return [{ op: 'resize', args: { height: cfg.int('height'), width: cfg.int('width'), interpolation: interpolation === 'lanczos3' || interpolation === 'lanczos5' ? interpolation : interpolation.toLowerCase() } }];
    }
    case 'normalization': {
      if (cfg.bool('invert', false)) unsupported(cfg, 'invert', 'normalization with invert=True is not supported by memlens yet');
      // mean and variance given to the constructor are constants; otherwise adapt() fills weights
      const given = cfg.has('mean') || cfg.has('variance');
      const axis = cfg.raw('axis');
      const explicitNone = layer.config?.kind === 'object' && layer.config.props.get('axis')?.kind === 'null';
      const axes = explicitNone ? 'none' : perSampleAxes(axis, cfg);
      return [{ op: 'normalization', args: { ...(axes === 'none' ? { scalar: true } : { axis: axes }), adapt: !given } }];
    }
    default: {
      const kind = RANDOM_LAYERS[type];
      if (kind) return [{ op: 'random_augment', args: { kind } }];
      return attentionSteps(layer, cfg, inputShapes);
    }
  }
}
