// Placeholder until the .nnm frontend lands: parses nothing.
import type { ModelConfig } from '../ir';
import type { FrontendResult } from '../document';

export function analyzeNnm(_text: string, _defaults: ModelConfig): FrontendResult {
  return { graphs: [], diagnostics: [], outline: [], refs: [], blocks: [] };
}
