import type { OpSpec } from './types';

export const denseOps: readonly OpSpec[] = [];
