// Layers that move elements without computing: torch.nn's PixelUnshuffle (space to depth, the
// inverse of pixel_shuffle) and ChannelShuffle (ShuffleNet's interleaving of channel groups).
// Both write a new tensor (not a view) in the input's layout; no parameters.
import type { OpSpec } from './types';
import { ShapeError } from './types';
import { channelAxis, checkedOps, expectMinRank, imageOf, intAtLeast, NO_PARAMS, SAVES_NOTHING, tensorArg } from './common';

const pixelUnshuffle: OpSpec = {
  name: 'pixel_unshuffle',
  family: 'shape',
  summary: 'Fold r x r blocks of an image into channels (PixelUnshuffle), the inverse of pixel_shuffle',
  formula: '[C, H r, W r] -> [C r^2, H, W] (channels last: [H r, W r, C] -> [H, W, C r^2]); params = 0',
  args: [tensorArg('x'), { name: 'factor', kind: 'int', positional: true, required: true, min: 1, doc: 'the downscale factor r' }],
  inferShape(ctx) {
    const image = imageOf(ctx, 'pixel_unshuffle');
    const r = intAtLeast(ctx, 'factor', 1);
    const { h, w } = image;
    if (h % r !== 0 || w % r !== 0) throw new ShapeError(`pixel_unshuffle: the image's ${h} x ${w} does not divide by the factor ${r}`, 'factor');
    return image.shape(image.channels * r * r, h / r, w / r);
  },
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

const channelShuffle: OpSpec = {
  name: 'channel_shuffle',
  family: 'shape',
  summary: 'Interleave g groups of channels (ChannelShuffle): shape unchanged',
  formula: 'shape unchanged, C divisible by groups; params = 0',
  args: [tensorArg('x', 'input with a channel axis'), { name: 'groups', kind: 'int', positional: true, required: true, min: 1, doc: 'the channel groups g' }],
  inferShape(ctx) {
    const shape = expectMinRank(ctx, 0, 1, 'channel_shuffle');
    const g = intAtLeast(ctx, 'groups', 1);
    const channels = shape[channelAxis(ctx.layout, shape.length)]!;
    if (channels % g !== 0) throw new ShapeError(`channel_shuffle: ${channels} channels do not divide into ${g} groups`, 'groups');
    return [...shape];
  },
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

export const rearrangeOps: readonly OpSpec[] = checkedOps([pixelUnshuffle, channelShuffle]);
