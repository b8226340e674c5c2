import type { OpSpec } from './types';

export const shapeOps: readonly OpSpec[] = [];
