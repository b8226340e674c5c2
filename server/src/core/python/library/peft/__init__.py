# peft's LoRA (Hu et al. 2021), as memlens reads it: LoraConfig(r=, lora_alpha=, target_modules=,
# lora_dropout=) and get_peft_model(model, config), which freezes every parameter of the model and
# puts a LoRA Linear in place of each nn.Linear whose qualified name is a target or ends with
# "." + a target. The LoRA Linear runs base(x) + lora_B(lora_A(dropout(x))) * lora_alpha / r, its
# A (r x in) and B (out x r) trainable and without biases: r x (in + out) weights per adapted layer.
# Only nn.Linear is adapted here (peft also adapts convolutions and embeddings); target_modules
# must be a list of names (peft also takes a regular expression), default q_proj and v_proj (peft's
# default for Llama-style models). get_peft_model returns the model itself: peft wraps it in a
# PeftModel whose forward calls it, the same ops. See docs/python.md.
from torch import nn


class LoraConfig:
    def __init__(self, r=8, lora_alpha=8, target_modules=None, lora_dropout=0.0, **kwargs):
        self.r = r
        self.lora_alpha = lora_alpha
        self.target_modules = ["q_proj", "v_proj"] if target_modules is None else target_modules
        self.lora_dropout = lora_dropout


class Linear(nn.Module):
    def __init__(self, base_layer, r, lora_alpha, lora_dropout):
        super().__init__()
        self.base_layer = base_layer
        self.lora_dropout = nn.Dropout(lora_dropout) if lora_dropout > 0 else nn.Identity()
        self.lora_A = nn.Linear(base_layer.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base_layer.out_features, bias=False)
        self.scaling = lora_alpha / r

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scaling


def _targeted(name, targets):
    for t in targets:
        if name == t or name.endswith("." + t):
            return True
    return False


def _inject(module, prefix, config):
    for name, child in module.named_children():
        full = prefix + name
        if isinstance(child, nn.Linear) and _targeted(full, config.target_modules):
            setattr(module, name, Linear(child, config.r, config.lora_alpha, config.lora_dropout))
        else:
            _inject(child, full + ".", config)


def get_peft_model(model, peft_config, **kwargs):
    model.requires_grad_(False)
    _inject(model, "", peft_config)
    return model
