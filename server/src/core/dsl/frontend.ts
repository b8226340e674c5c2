// Placeholder until the .nnm frontend lands: parses nothing.
import type { ConfigOverrides } from '../config';
import type { ModelConfig } from '../ir';
import type { FrontendResult } from '../document';

/**
 * Parse and elaborate a .nnm document. Each model's config = defaults, then the file-level
 * `config`, then the model's own `config`, then `overrides` (CLI flags such as --batch).
 */
export function analyzeNnm(_text: string, _defaults: ModelConfig, _overrides?: ConfigOverrides): FrontendResult {
  return { graphs: [], diagnostics: [], outline: [], refs: [], blocks: [] };
}
