// Data-parallel wrappers read from a Python file: FSDP's sharding strategy and CPU offload,
// DistributedDataParallel, deepspeed.initialize's config dict. They set the model's ZeRO stage,
// offload and gradient accumulation over the settings; the world size stays memlens.devices.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { devicePreset } from '../../../server/src/core/devices';
import { applyEdits } from '../../../server/src/core/fixes/edits';
import { previewFix, type FixSource } from '../../../server/src/core/fixes/preview';
import { perDeviceOfAnalysis } from '../../../server/src/core/analysis/perDevice';
import type { ModelConfig } from '../../../server/src/core/ir';
import { ready } from './helpers';

before(ready);

/** a 64 -> 64 -> 10 MLP trained with Adam, `wrap` turning `net` into the model that is called */
function script(imports: string, wrap: string): string {
  return [
    'import torch',
    'import torch.nn as nn',
    imports,
    'net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))',
    wrap,
    'opt = torch.optim.Adam(model.parameters())',
    'loss = model(torch.randn(8, 64)).sum()',
    'loss.backward()',
    'opt.step()',
    '',
  ].join('\n');
}

/** 64 x 64 + 64 + 64 x 10 + 10 */
const PARAMS = 4810;

function analyse(text: string, defaults: Partial<ModelConfig> = { devices: 8 }) {
  const a = analyzeDocument(text, 'python', { documentKey: `/virtual/dist-${text.length}.py`, defaults });
  assert.equal(a.models.length, 1, a.diagnostics.map((d) => d.message).join('\n'));
  return a;
}

const FSDP_IMPORT = 'from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, ShardingStrategy, CPUOffload';

function notes(a: ReturnType<typeof analyse>): string[] {
  return a.refs.filter((r) => r.kind === 'note' && r.name === 'data parallelism').map((r) => r.note ?? '');
}

describe('data-parallel wrappers in Python', () => {
  it('FSDP with its default strategy is ZeRO stage 3; the wrapped module runs as before', () => {
    const a = analyse(script(FSDP_IMPORT, 'model = FSDP(net)'));
    const m = a.models[0]!;
    assert.equal(m.graph.config.zero, 3);
    assert.equal(m.graph.config.offload ?? 'none', 'none');
    assert.equal(m.footprint.params.trainable, PARAMS);
    assert.deepEqual(notes(a), ['FSDP FULL_SHARD (the default): ZeRO stage 3, over memlens.devices devices (the world size is a run-time value: set memlens.devices, CLI --devices)']);
    // stage 3 over the 8 devices of the setting: every model state is 1/8, padded to whole values (ceil(4,810 / 8) = 602)
    const perDevice = perDeviceOfAnalysis(m.footprint.params, m.graph.config, m.memory!);
    assert.ok(perDevice && 'bytes' in perDevice);
    assert.equal(perDevice.bytes.weights, 602 * 4);
    assert.equal(perDevice.bytes.gradients, 602 * 4);
    assert.equal(perDevice.bytes.optimizer, 602 * 2 * 4);
  });

  it('SHARD_GRAD_OP is stage 2, NO_SHARD stage 0; CPUOffload(offload_params=True) offloads', () => {
    assert.equal(analyse(script(FSDP_IMPORT, 'model = FSDP(net, sharding_strategy=ShardingStrategy.SHARD_GRAD_OP)')).models[0]!.graph.config.zero, 2);
    assert.equal(analyse(script('import torch.distributed.fsdp as fsdp', 'model = fsdp.FullyShardedDataParallel(net, sharding_strategy=fsdp.ShardingStrategy.NO_SHARD)')).models[0]!.graph.config.zero, 0);
    const off = analyse(script(FSDP_IMPORT, 'model = FSDP(net, cpu_offload=CPUOffload(offload_params=True))')).models[0]!.graph.config;
    assert.equal(off.zero, 3);
    assert.equal(off.offload, 'cpu');
  });

  it('the file overrides the settings; an unread strategy leaves them, and says so', () => {
    assert.equal(analyse(script(FSDP_IMPORT, 'model = FSDP(net, sharding_strategy=ShardingStrategy.SHARD_GRAD_OP)'), { devices: 8, zero: 1 }).models[0]!.graph.config.zero, 2);
    const hybrid = analyse(script(FSDP_IMPORT, 'model = FSDP(net, sharding_strategy=ShardingStrategy.HYBRID_SHARD)'), { devices: 8, zero: 1 });
    assert.equal(hybrid.models[0]!.graph.config.zero, 1);
    assert.match(notes(hybrid)[0]!, /^FSDP sharding_strategy HYBRID_SHARD is not read as a ZeRO stage/);
  });

  it('DistributedDataParallel is stage 0 whatever the setting', () => {
    const a = analyse(script('from torch.nn.parallel import DistributedDataParallel as DDP', 'model = DDP(net, device_ids=[0])'), { devices: 8, zero: 2 });
    assert.equal(a.models[0]!.graph.config.zero, 0);
  });

  it("deepspeed.initialize: the config dict's stage, offload and gradient accumulation", () => {
    const wrap = [
      'ds = {"train_micro_batch_size_per_gpu": 8, "gradient_accumulation_steps": 4,',
      '      "zero_optimization": {"stage": 2, "offload_optimizer": {"device": "cpu"}}}',
      'model, optimizer, _, _ = deepspeed.initialize(model=net, model_parameters=net.parameters(), config=ds)',
    ].join('\n');
    const text = script('import deepspeed', wrap).replace('opt = torch.optim.Adam(model.parameters())\n', 'opt = torch.optim.Adam(net.parameters())\n');
    const a = analyse(text, { devices: 2, batch: 64 });
    const c = a.models[0]!.graph.config;
    assert.deepEqual([c.zero, c.offload, c.gradientAccumulation], [2, 'cpu', 4]);
    assert.match(notes(a)[0]!, /^DeepSpeed ZeRO stage 2 with CPU offload, 4 gradient accumulation steps/);
    const path = analyse(script('import deepspeed', 'model, _, _, _ = deepspeed.initialize(model=net, config="ds_config.json")').replace('model.parameters()', 'net.parameters()'));
    assert.equal(path.models[0]!.graph.config.zero, undefined);
    assert.match(notes(path)[0]!, /^DeepSpeed config "ds_config.json" is not read/);
  });
});

describe("NNM210's quick fix in a Python file: FSDP's strategy as written", () => {
  // 99,999 x 75,000 + 75,000 = 7.5e9 parameters in mixed precision with Adam (16 bytes each), on 3 x A100-40GB:
  // SHARD_GRAD_OP (stage 2) holds 2 + 14/3 bytes a parameter (46.6 GiB), FULL_SHARD (stage 3) 16/3 (37.3 GiB)
  const text = script(FSDP_IMPORT, 'model = FSDP(net, sharding_strategy=ShardingStrategy.SHARD_GRAD_OP)')
    .replace('nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))', 'nn.Linear(99999, 75000)')
    .replace('torch.randn(8, 64)', 'torch.randn(48, 99999)');
  const defaults: Partial<ModelConfig> = { devices: 3, precision: 'mixed', device: devicePreset('a100-40gb')! };

  it('replaces SHARD_GRAD_OP by FULL_SHARD, and the fixed file fits', () => {
    const a = analyzeDocument(text, 'python', { documentKey: '/virtual/fsdp-fix.py', defaults });
    const f = (a.findings ?? []).find((x) => x.code === 'NNM210');
    assert.ok(f, a.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
    assert.deepEqual(f.fixes, [{ kind: 'zero', model: 'net', stage: 3 }]);
    const src: FixSource = { text, language: 'python', options: { defaults, documentKey: '/virtual/fsdp-fix.py' }, analysis: a };
    const p = previewFix(src, f, f.fixes![0]!)!;
    assert.match(p.title, /^Use ZeRO stage 3 \(per device peak 46\.\d GiB -> 37\.\d GiB, fits 40 GiB\)$/);
    const fixed = applyEdits(text, p.edits);
    assert.match(fixed, /sharding_strategy=ShardingStrategy\.FULL_SHARD\)/);
    const again = analyzeDocument(fixed, 'python', { documentKey: '/virtual/fsdp-fixed.py', defaults });
    assert.equal(again.models[0]!.graph.config.zero, 3);
    assert.deepEqual((again.findings ?? []).filter((x) => x.code === 'NNM210'), []);
  });
});
