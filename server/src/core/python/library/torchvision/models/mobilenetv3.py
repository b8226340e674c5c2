# MobileNetV3 (Howard et al. 2019): inverted residual blocks with optional squeeze-and-excitation
# (hard-sigmoid gate) and ReLU or hard-swish, from the paper's Large and Small tables; a 1x1
# conv to 6x the last block's width, pooling and a two-layer classifier.
import torch
from torch import nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._utils import _make_divisible, _Weights


def _hard_sigmoid_se(input_channels, squeeze_channels):
    # torchvision's SE layer here gates with Hardsigmoid
    return SqueezeExcitation(input_channels, squeeze_channels, scale_activation=nn.Hardsigmoid)


def _bn_eps3(num_features):
    return nn.BatchNorm2d(num_features, eps=0.001, momentum=0.01)


class InvertedResidualConfig:
    def __init__(self, input_channels, kernel, expanded_channels, out_channels, use_se, activation, stride, dilation,
                 width_mult):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels, width_mult):
        return _make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    def __init__(self, cnf, norm_layer, se_layer=None):
        super().__init__()
        if se_layer is None:
            se_layer = _hard_sigmoid_se
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        activation_layer = nn.Hardswish if cnf.use_hs else nn.ReLU
        layers = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=activation_layer))
        # a dilated block keeps its resolution
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.expanded_channels, kernel_size=cnf.kernel,
                                           stride=stride, dilation=cnf.dilation, groups=cnf.expanded_channels,
                                           norm_layer=norm_layer, activation_layer=activation_layer))
        if cnf.use_se:
            squeeze_channels = _make_divisible(cnf.expanded_channels // 4, 8)
            layers.append(se_layer(cnf.expanded_channels, squeeze_channels))
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result += input
        return result


class MobileNetV3(nn.Module):
    def __init__(self, inverted_residual_setting, last_channel, num_classes=1000, block=None, norm_layer=None,
                 dropout=0.2, **kwargs):
        super().__init__()
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = _bn_eps3
        layers = []
        firstconv_output_channels = inverted_residual_setting[0].input_channels
        layers.append(Conv2dNormActivation(3, firstconv_output_channels, kernel_size=3, stride=2,
                                           norm_layer=norm_layer, activation_layer=nn.Hardswish))
        for cnf in inverted_residual_setting:
            layers.append(block(cnf, norm_layer))
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = 6 * lastconv_input_channels
        layers.append(Conv2dNormActivation(lastconv_input_channels, lastconv_output_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(lastconv_output_channels, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )

    def _forward_impl(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x

    def forward(self, x):
        return self._forward_impl(x)


def _mobilenet_v3_conf(arch, width_mult=1.0, reduced_tail=False, dilated=False, **kwargs):
    # rows: input, kernel, expanded, output, SE, activation (RE = ReLU, HS = hard-swish), stride, dilation
    rd = 2 if reduced_tail else 1
    dil = 2 if dilated else 1
    if arch == "mobilenet_v3_large":
        rows = [
            (16, 3, 16, 16, False, "RE", 1, 1),
            (16, 3, 64, 24, False, "RE", 2, 1),
            (24, 3, 72, 24, False, "RE", 1, 1),
            (24, 5, 72, 40, True, "RE", 2, 1),
            (40, 5, 120, 40, True, "RE", 1, 1),
            (40, 5, 120, 40, True, "RE", 1, 1),
            (40, 3, 240, 80, False, "HS", 2, 1),
            (80, 3, 200, 80, False, "HS", 1, 1),
            (80, 3, 184, 80, False, "HS", 1, 1),
            (80, 3, 184, 80, False, "HS", 1, 1),
            (80, 3, 480, 112, True, "HS", 1, 1),
            (112, 3, 672, 112, True, "HS", 1, 1),
            (112, 5, 672, 160 // rd, True, "HS", 2, dil),
            (160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, dil),
            (160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, dil),
        ]
        last_channel = 1280 // rd
    else:
        rows = [
            (16, 3, 16, 16, True, "RE", 2, 1),
            (16, 3, 72, 24, False, "RE", 2, 1),
            (24, 3, 88, 24, False, "RE", 1, 1),
            (24, 5, 96, 40, True, "HS", 2, 1),
            (40, 5, 240, 40, True, "HS", 1, 1),
            (40, 5, 240, 40, True, "HS", 1, 1),
            (40, 5, 120, 48, True, "HS", 1, 1),
            (48, 5, 144, 48, True, "HS", 1, 1),
            (48, 5, 288, 96 // rd, True, "HS", 2, dil),
            (96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dil),
            (96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dil),
        ]
        last_channel = 1024 // rd
    setting = [InvertedResidualConfig(a, k, e, o, se, act, s, d, width_mult) for a, k, e, o, se, act, s, d in rows]
    return setting, _make_divisible(last_channel * width_mult, 8)


class MobileNet_V3_Large_Weights(_Weights):
    IMAGENET1K_V2 = "IMAGENET1K_V2"


class MobileNet_V3_Small_Weights(_Weights):
    pass


def _split_conf_kwargs(kwargs):
    # the table's options go to the table, the rest to the model
    conf = {}
    for key in ["width_mult", "reduced_tail", "dilated"]:
        if key in kwargs:
            conf[key] = kwargs.pop(key)
    return conf


def mobilenet_v3_large(weights=None, progress=True, pretrained=False, **kwargs):
    setting, last_channel = _mobilenet_v3_conf("mobilenet_v3_large", **_split_conf_kwargs(kwargs))
    return MobileNetV3(setting, last_channel, **kwargs)


def mobilenet_v3_small(weights=None, progress=True, pretrained=False, **kwargs):
    setting, last_channel = _mobilenet_v3_conf("mobilenet_v3_small", **_split_conf_kwargs(kwargs))
    return MobileNetV3(setting, last_channel, **kwargs)
