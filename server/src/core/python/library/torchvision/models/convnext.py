# ConvNeXt (Liu et al. 2022): a 4x4 stride-4 "patchify" stem, four stages of blocks (7x7
# depthwise conv, LayerNorm over channels, an inverted MLP 4x wide with GELU, a learnable
# per-channel layer scale, stochastic depth), and LayerNorm + 2x2 stride-2 convs between stages.
import torch
from torch import nn
import torch.nn.functional as F
from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._utils import _Weights


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel axis of an [N, C, H, W] tensor.

    memlens note: torchvision derives this from nn.LayerNorm; subclassing a torch layer is not
    followed by memlens yet, so the weight and bias are registered here directly (same names)."""

    def __init__(self, normalized_shape, eps=1e-05, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = tuple(normalized_shape) if isinstance(normalized_shape, (list, tuple)) else (normalized_shape,)
        self.eps = eps
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(normalized_shape))
            self.bias = nn.Parameter(torch.zeros(normalized_shape))
        else:
            self.weight = None
            self.bias = None

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        x = x.permute(0, 3, 1, 2)
        return x


def _layer_norm_eps6(num_channels):
    return nn.LayerNorm(num_channels, eps=1e-6)


def _layer_norm_2d_eps6(num_channels):
    return LayerNorm2d(num_channels, eps=1e-6)


class CNBlock(nn.Module):
    def __init__(self, dim, layer_scale, stochastic_depth_prob, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = _layer_norm_eps6
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        # one learnable scale per channel, initialised to `layer_scale` (the value is not modelled)
        self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1))
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input):
        result = self.layer_scale * self.block(input)
        result = self.stochastic_depth(result)
        result += input
        return result


class CNBlockConfig:
    # one stage: its width, the width after the downsampling that follows (None: last stage), depth
    def __init__(self, input_channels, out_channels, num_layers):
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers


class ConvNeXt(nn.Module):
    def __init__(self, block_setting, stochastic_depth_prob=0.0, layer_scale=1e-6, num_classes=1000, block=None,
                 norm_layer=None, **kwargs):
        super().__init__()
        if block is None:
            block = CNBlock
        if norm_layer is None:
            norm_layer = _layer_norm_2d_eps6
        layers = []
        firstconv_output_channels = block_setting[0].input_channels
        layers.append(Conv2dNormActivation(3, firstconv_output_channels, kernel_size=4, stride=4, padding=0,
                                           norm_layer=norm_layer, activation_layer=None, bias=True))
        total_stage_blocks = sum([cnf.num_layers for cnf in block_setting])
        stage_block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(
                    norm_layer(cnf.input_channels),
                    nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2),
                ))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        lastblock = block_setting[-1]
        lastconv_output_channels = lastblock.out_channels if lastblock.out_channels is not None else lastblock.input_channels
        self.classifier = nn.Sequential(
            norm_layer(lastconv_output_channels),
            nn.Flatten(1),
            nn.Linear(lastconv_output_channels, num_classes),
        )

    def _forward_impl(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = self.classifier(x)
        return x

    def forward(self, x):
        return self._forward_impl(x)


def _convnext(stages, default_sd, kwargs):
    setting = [CNBlockConfig(i, o, n) for i, o, n in stages]
    stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", default_sd)
    return ConvNeXt(setting, stochastic_depth_prob=stochastic_depth_prob, **kwargs)


class ConvNeXt_Tiny_Weights(_Weights):
    pass


class ConvNeXt_Small_Weights(_Weights):
    pass


class ConvNeXt_Base_Weights(_Weights):
    pass


class ConvNeXt_Large_Weights(_Weights):
    pass


def convnext_tiny(weights=None, progress=True, pretrained=False, **kwargs):
    return _convnext([(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)], 0.1, kwargs)


def convnext_small(weights=None, progress=True, pretrained=False, **kwargs):
    return _convnext([(96, 192, 3), (192, 384, 3), (384, 768, 27), (768, None, 3)], 0.4, kwargs)


def convnext_base(weights=None, progress=True, pretrained=False, **kwargs):
    return _convnext([(128, 256, 3), (256, 512, 3), (512, 1024, 27), (1024, None, 3)], 0.5, kwargs)


def convnext_large(weights=None, progress=True, pretrained=False, **kwargs):
    return _convnext([(192, 384, 3), (384, 768, 3), (768, 1536, 27), (1536, None, 3)], 0.5, kwargs)
