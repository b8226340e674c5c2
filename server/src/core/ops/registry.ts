// The op table: one entry per op, gathered from one file per family.
import type { OpSpec } from './types';
import { activationOps } from './activation';
import { moreActivationOps } from './activationMore';
import { attentionOps } from './attention';
import { cellOps } from './cell';
import { rearrangeOps } from './rearrange';
import { alphaDropoutOps } from './alphaDropout';
import { bilinearOps } from './bilinear';
import { powerPoolOps } from './powerPool';
import { convOps } from './conv';
import { denseOps } from './dense';
import { ioOps } from './io';
import { normOps } from './norm';
import { poolOps } from './pool';
import { rnnOps } from './rnn';
import { shapeOps } from './shape';
import { lossOps, tensorOps } from './tensor';
import { preprocessingOps } from './preprocessing';
import { reduceOps } from './reduce';
import { noiseAndExtremaOps } from './noiseAndExtrema';

export const ALL_OPS: readonly OpSpec[] = [
  ...ioOps,
  ...convOps,
  ...denseOps,
  ...normOps,
  ...activationOps,
  ...moreActivationOps,
  ...poolOps,
  ...shapeOps,
  ...tensorOps,
  ...reduceOps,
  ...lossOps,
  ...rnnOps,
  ...cellOps,
  ...rearrangeOps,
  ...alphaDropoutOps,
  ...bilinearOps,
  ...powerPoolOps,
  ...attentionOps,
  ...preprocessingOps,
  ...noiseAndExtremaOps,
];

const byName = new Map<string, OpSpec>();
for (const spec of ALL_OPS) {
  for (const name of [spec.name, ...(spec.aliases ?? [])]) {
    if (byName.has(name)) throw new Error(`op registered twice: ${name}`);
    byName.set(name, spec);
  }
}

export function lookupOp(name: string): OpSpec | undefined {
  return byName.get(name);
}

/** every name an op can be called by (canonical and aliases) */
export function opNames(): string[] {
  return [...byName.keys()];
}
