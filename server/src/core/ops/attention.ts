import type { OpSpec } from './types';

export const attentionOps: readonly OpSpec[] = [];
