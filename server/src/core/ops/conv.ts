import type { OpSpec } from './types';

export const convOps: readonly OpSpec[] = [];
