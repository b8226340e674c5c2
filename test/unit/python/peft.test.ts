// peft's LoRA read statically (library/peft: LoraConfig, get_peft_model): every base parameter
// frozen, a LoRA Linear in place of each targeted nn.Linear with r x (in + out) trainable weights.
// peft is not installed here: the counts follow peft's formula by hand, and the saved bytes are
// torch 1.13's for the same model written out (scripts/frozen_oracle.py, lora_mlp).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { engineOf } from '../../../server/src/core/analysis/memory';
import { FIXTURES, ready } from './helpers';

const ORACLE = JSON.parse(readFileSync(join(FIXTURES, '..', 'frozen', 'saved.json'), 'utf8')) as { cases: Record<string, { trainable: number; frozen: number; savedPerSample: number }> };

const analyze = (text: string) => analyzeDocument(text, 'python', { documentKey: join(FIXTURES, 'inline.py') });

describe('peft LoRA', () => {
  before(ready);

  it('get_peft_model freezes the base and adapts the targets: torch\'s saved bytes for the same model', () => {
    const a = analyze(readFileSync(join(FIXTURES, 'peft_lora.py'), 'utf8'));
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
    const m = a.models[0]!;
    const expected = ORACLE.cases['lora_mlp']!;
    // trainable 4 x (64 + 48) = 448; frozen 32 x 64 + 64 + 64 x 48 + 48 = 5,232
    assert.deepEqual(m.footprint.params, { trainable: expected.trainable, nonTrainable: expected.frozen, frozen: expected.frozen });
    const engine = engineOf(m.memory!)!;
    assert.equal(engine.liveness.perStep[engine.schedule.forwardEnd]!.savedActivations.perSample, expected.savedPerSample);
  });

  it('target_modules match a qualified name or its last parts; the default is q_proj and v_proj', () => {
    const model = (config: string) => `import torch
from torch import nn
from peft import LoraConfig, get_peft_model

class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(64, 64)
        self.k_proj = nn.Linear(64, 16)
        self.v_proj = nn.Linear(64, 16)

    def forward(self, x):
        return self.q_proj(x).sum() + self.k_proj(x).sum() + self.v_proj(x).sum()

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([Attn(), Attn()])

    def forward(self, x):
        return self.layers[0](x) + self.layers[1](x)

model = get_peft_model(Net(), ${config})
out = model(torch.randn(2, 64))
`;
    const params = (config: string) => analyze(model(config)).models[0]!.footprint.params;
    // per Attn: q 64 x 64 + 64 = 4,160, k and v 64 x 16 + 16 = 1,040 each; 2 x 6,240 = 12,480 frozen
    // default q_proj, v_proj, rank 8: 2 x (8 x (64 + 64) + 8 x (64 + 16)) = 3,328
    assert.deepEqual(params('LoraConfig()'), { trainable: 3328, nonTrainable: 12_480, frozen: 12_480 });
    // a qualified name: only the first layer's k_proj, rank 2: 2 x (64 + 16) = 160
    assert.equal(params('LoraConfig(r=2, target_modules=["layers.0.k_proj"])').trainable, 160);
    // a name that matches nothing adapts nothing: everything frozen
    assert.equal(params('LoraConfig(r=2, target_modules=["o_proj"])').trainable, 0);
  });
});
