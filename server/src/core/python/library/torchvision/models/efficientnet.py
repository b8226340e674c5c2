# EfficientNet B0-B7 (Tan & Le 2019): MBConv blocks (1x1 expansion, depthwise kxk, squeeze-and-
# excitation, 1x1 projection, SiLU) in seven stages, scaled in width and depth per variant by
# torchvision's multipliers; stochastic depth on the residual branches grows linearly with depth.
# EfficientNetV2 (Tan & Le 2021) adds fused MBConv stages (one regular kxk conv instead of the
# expansion + depthwise pair).
import math
import torch
from torch import nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._utils import _make_divisible, _Weights


def _silu_inplace():
    return nn.SiLU(inplace=True)


def _bn_eps3(num_features):
    return nn.BatchNorm2d(num_features, eps=0.001)


def _bn_eps3_momentum1(num_features):
    return nn.BatchNorm2d(num_features, eps=0.001, momentum=0.01)


class _MBConvConfig:
    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block):
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.block = block

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    # the stage table's row scaled by the variant's width and depth multipliers
    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, width_mult=1.0,
                 depth_mult=1.0, block=None):
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = self.adjust_depth(num_layers, depth_mult)
        if block is None:
            block = MBConv
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block)

    @staticmethod
    def adjust_depth(num_layers, depth_mult):
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block=None):
        if block is None:
            block = FusedMBConv
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block)


class MBConv(nn.Module):
    def __init__(self, cnf, stochastic_depth_prob, norm_layer, se_layer=SqueezeExcitation):
        super().__init__()
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers = []
        activation_layer = nn.SiLU
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=activation_layer))
        layers.append(Conv2dNormActivation(expanded_channels, expanded_channels, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded_channels, norm_layer=norm_layer,
                                           activation_layer=activation_layer))
        # the squeeze width follows the block's input, not its expansion
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(se_layer(expanded_channels, squeeze_channels, activation=_silu_inplace))
        layers.append(Conv2dNormActivation(expanded_channels, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class FusedMBConv(nn.Module):
    def __init__(self, cnf, stochastic_depth_prob, norm_layer):
        super().__init__()
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers = []
        activation_layer = nn.SiLU
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            # one kxk conv does the expansion, then a 1x1 projection
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded_channels, kernel_size=cnf.kernel,
                                               stride=cnf.stride, norm_layer=norm_layer,
                                               activation_layer=activation_layer))
            layers.append(Conv2dNormActivation(expanded_channels, cnf.out_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=None))
        else:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.out_channels, kernel_size=cnf.kernel,
                                               stride=cnf.stride, norm_layer=norm_layer,
                                               activation_layer=activation_layer))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class EfficientNet(nn.Module):
    def __init__(self, inverted_residual_setting, dropout, stochastic_depth_prob=0.2, num_classes=1000,
                 norm_layer=None, last_channel=None, **kwargs):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        layers = []
        firstconv_output_channels = inverted_residual_setting[0].input_channels
        layers.append(Conv2dNormActivation(3, firstconv_output_channels, kernel_size=3, stride=2,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        total_stage_blocks = sum([cnf.num_layers for cnf in inverted_residual_setting])
        stage_block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for k in range(cnf.num_layers):
                # the first block of a stage changes width and resolution, the others repeat it
                if k == 0:
                    block_cnf = cnf
                else:
                    block_cnf = _MBConvConfig(cnf.expand_ratio, cnf.kernel, 1, cnf.out_channels, cnf.out_channels,
                                              cnf.num_layers, cnf.block)
                sd_prob = stochastic_depth_prob * float(stage_block_id) / total_stage_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = last_channel if last_channel is not None else 4 * lastconv_input_channels
        layers.append(Conv2dNormActivation(lastconv_input_channels, lastconv_output_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(lastconv_output_channels, num_classes),
        )

    def _forward_impl(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x

    def forward(self, x):
        return self._forward_impl(x)


def _efficientnet_conf(arch, width_mult=1.0, depth_mult=1.0):
    if arch.startswith("efficientnet_b"):
        # expansion, kernel, stride, input, output, layers of B0's seven stages
        rows = [
            (1, 3, 1, 32, 16, 1),
            (6, 3, 2, 16, 24, 2),
            (6, 5, 2, 24, 40, 2),
            (6, 3, 2, 40, 80, 3),
            (6, 5, 1, 80, 112, 3),
            (6, 5, 2, 112, 192, 4),
            (6, 3, 1, 192, 320, 1),
        ]
        setting = [MBConvConfig(e, k, s, i, o, n, width_mult, depth_mult) for e, k, s, i, o, n in rows]
        return setting, None
    if arch == "efficientnet_v2_s":
        setting = [
            FusedMBConvConfig(1, 3, 1, 24, 24, 2),
            FusedMBConvConfig(4, 3, 2, 24, 48, 4),
            FusedMBConvConfig(4, 3, 2, 48, 64, 4),
            MBConvConfig(4, 3, 2, 64, 128, 6),
            MBConvConfig(6, 3, 1, 128, 160, 9),
            MBConvConfig(6, 3, 2, 160, 256, 15),
        ]
        return setting, 1280
    if arch == "efficientnet_v2_m":
        setting = [
            FusedMBConvConfig(1, 3, 1, 24, 24, 3),
            FusedMBConvConfig(4, 3, 2, 24, 48, 5),
            FusedMBConvConfig(4, 3, 2, 48, 80, 5),
            MBConvConfig(4, 3, 2, 80, 160, 7),
            MBConvConfig(6, 3, 1, 160, 176, 14),
            MBConvConfig(6, 3, 2, 176, 304, 18),
            MBConvConfig(6, 3, 1, 304, 512, 5),
        ]
        return setting, 1280
    setting = [
        FusedMBConvConfig(1, 3, 1, 32, 32, 4),
        FusedMBConvConfig(4, 3, 2, 32, 64, 7),
        FusedMBConvConfig(4, 3, 2, 64, 96, 7),
        MBConvConfig(4, 3, 2, 96, 192, 10),
        MBConvConfig(6, 3, 1, 192, 224, 19),
        MBConvConfig(6, 3, 2, 224, 384, 25),
        MBConvConfig(6, 3, 1, 384, 640, 7),
    ]
    return setting, 1280


def _efficientnet(arch, width_mult, depth_mult, dropout, kwargs, norm_layer=None):
    setting, last_channel = _efficientnet_conf(arch, width_mult, depth_mult)
    if norm_layer is not None:
        kwargs["norm_layer"] = norm_layer
    # a `dropout=` argument replaces the variant's classifier dropout (newer torchvision accepts
    # it; 0.14 fixes it per variant)
    return EfficientNet(setting, kwargs.pop("dropout", dropout), last_channel=last_channel, **kwargs)


class EfficientNet_B0_Weights(_Weights):
    pass


class EfficientNet_B1_Weights(_Weights):
    IMAGENET1K_V2 = "IMAGENET1K_V2"


class EfficientNet_B2_Weights(_Weights):
    pass


class EfficientNet_B3_Weights(_Weights):
    pass


class EfficientNet_B4_Weights(_Weights):
    pass


class EfficientNet_B5_Weights(_Weights):
    pass


class EfficientNet_B6_Weights(_Weights):
    pass


class EfficientNet_B7_Weights(_Weights):
    pass


class EfficientNet_V2_S_Weights(_Weights):
    pass


class EfficientNet_V2_M_Weights(_Weights):
    pass


class EfficientNet_V2_L_Weights(_Weights):
    pass


def efficientnet_b0(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_b0", 1.0, 1.0, 0.2, kwargs)


def efficientnet_b1(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_b1", 1.0, 1.1, 0.2, kwargs)


def efficientnet_b2(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_b2", 1.1, 1.2, 0.3, kwargs)


def efficientnet_b3(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_b3", 1.2, 1.4, 0.3, kwargs)


def efficientnet_b4(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_b4", 1.4, 1.8, 0.4, kwargs)


def efficientnet_b5(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_b5", 1.6, 2.2, 0.4, kwargs, _bn_eps3_momentum1)


def efficientnet_b6(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_b6", 1.8, 2.6, 0.5, kwargs, _bn_eps3_momentum1)


def efficientnet_b7(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_b7", 2.0, 3.1, 0.5, kwargs, _bn_eps3_momentum1)


def efficientnet_v2_s(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_v2_s", 1.0, 1.0, 0.2, kwargs, _bn_eps3)


def efficientnet_v2_m(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_v2_m", 1.0, 1.0, 0.3, kwargs, _bn_eps3)


def efficientnet_v2_l(weights=None, progress=True, pretrained=False, **kwargs):
    return _efficientnet("efficientnet_v2_l", 1.0, 1.0, 0.4, kwargs, _bn_eps3)
