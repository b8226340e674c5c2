import type { OpSpec } from './types';

export const rnnOps: readonly OpSpec[] = [];
