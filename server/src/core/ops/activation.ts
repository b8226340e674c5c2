import type { OpSpec } from './types';

export const activationOps: readonly OpSpec[] = [];
