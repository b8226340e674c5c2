// Alpha dropout (torch.nn.AlphaDropout, FeatureAlphaDropout; SELU networks): dropped values are
// set to SELU's negative saturation and the result is rescaled, so the mean and variance stay.
// Identity at inference; in training a noise tensor (per element, or per channel) is kept.
import type { OpSpec } from './types';
import { ShapeError } from './types';
import { channelAxis, checkedOps, NO_PARAMS, numberArg, product, tensorArg } from './common';

const alphaDropout: OpSpec = {
  name: 'alpha_dropout',
  family: 'activation',
  summary: 'Alpha dropout for SELU networks: identity at inference',
  formula: 'shape unchanged; params = 0',
  args: [
    tensorArg('x'),
    { name: 'rate', kind: 'number', positional: true, default: 0.5, min: 0, maxExclusive: 1, doc: 'probability of dropping an element' },
    { name: 'feature', kind: 'bool', default: false, doc: 'drop whole channels (FeatureAlphaDropout): one noise value per channel' },
  ],
  inferShape(ctx) {
    const rate = numberArg(ctx, 'rate', 0.5);
    if (rate < 0 || rate >= 1) throw new ShapeError(`alpha_dropout rate must be in [0, 1), got ${rate}`, 'rate');
    return [...ctx.inputs[0]!.shape];
  },
  params: () => NO_PARAMS,
  savedForBackward: {
    inputs: [],
    output: false,
    extraElements: (ctx, outShape) => ({ perSample: ctx.args['feature'] === true ? outShape[channelAxis(ctx.layout, outShape.length)]! : product(outShape), fixed: 0 }),
    extraDoc: 'the noise the input is multiplied by (the activation dtype): one per element, or one per channel',
  },
  inPlace: 'never',
  identityInInference: true,
};

export const alphaDropoutOps: readonly OpSpec[] = checkedOps([alphaDropout]);
