import type { OpSpec } from './types';

export const normOps: readonly OpSpec[] = [];
