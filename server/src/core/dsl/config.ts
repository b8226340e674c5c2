// Placeholder (owned by the DSL frontend, which replaces this file): parses one config value
// written in .nnm syntax, for VS Code settings and CLI flags.
import type { ConfigOverrides } from '../config';

export function parseConfigSetting(key: string, valueText: string): { value?: ConfigOverrides; error?: string } {
  return { error: `cannot parse ${key} = ${valueText} yet` };
}
