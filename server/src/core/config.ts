// Config resolution: VS Code settings / CLI flags give defaults, a file-level `config`
// overrides them, a `config` inside a model overrides that.
import { customDevice, devicePreset } from './devices';
import type { ModelConfig } from './ir';

export const BUILTIN_DEFAULTS: ModelConfig = {
  mode: 'train',
  batch: 32,
  precision: 'fp32',
  optimizer: { kind: 'sgd', momentum: 0 },
  device: devicePreset('v100-16gb') ?? customDevice('gpu', 16 * 1024 ** 3),
  layout: 'nchw',
  lowering: 'auto',
  framework: 'ideal',
};

/** partial overrides in the same terms as ModelConfig (frontends resolve their syntax to this) */
export type ConfigOverrides = Partial<ModelConfig>;

export function mergeConfig(base: ModelConfig, ...layers: (ConfigOverrides | undefined)[]): ModelConfig {
  let out = base;
  for (const layer of layers) if (layer) out = { ...out, ...stripUndefined(layer) };
  return out;
}

function stripUndefined(o: ConfigOverrides): ConfigOverrides {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as ConfigOverrides;
}
