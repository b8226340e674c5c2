import type { OpSpec } from './types';

export const poolOps: readonly OpSpec[] = [];
