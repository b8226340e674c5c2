# DenseNet (Huang et al. 2016): dense blocks in which every layer (BN-ReLU-1x1 bottleneck,
# BN-ReLU-3x3 producing `growth_rate` maps) reads the concatenation of all earlier outputs;
# transitions (BN-ReLU-1x1 conv halving the channels, 2x2 average pool) between the blocks.
from collections import OrderedDict
import torch
from torch import nn
import torch.nn.functional as F
from ._utils import _Weights


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate, memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        # memory_efficient recomputes the bottleneck in backward (checkpointing): not modelled
        self.memory_efficient = memory_efficient

    def forward(self, prev_features):
        # `prev_features` is the list of every earlier output in the block
        x = torch.cat(prev_features, 1)
        x = self.conv1(self.relu1(self.norm1(x)))
        x = self.conv2(self.relu2(self.norm2(x)))
        if self.drop_rate > 0:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
        return x


class _DenseBlock(nn.Module):
    # memlens note: torchvision derives this from nn.ModuleDict; a plain module with the same
    # child names ("denselayer1", ...) counts and runs the same
    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate, memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate=growth_rate, bn_size=bn_size,
                                drop_rate=drop_rate, memory_efficient=memory_efficient)
            self.add_module("denselayer" + str(i + 1), layer)

    def forward(self, init_features):
        features = [init_features]
        for layer in self.children():
            features.append(layer(features))
        return torch.cat(features, 1)


def _Transition(num_input_features, num_output_features):
    # memlens note: an nn.Sequential subclass in torchvision; the same children here
    return nn.Sequential(OrderedDict([
        ("norm", nn.BatchNorm2d(num_input_features)),
        ("relu", nn.ReLU(inplace=True)),
        ("conv", nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)),
        ("pool", nn.AvgPool2d(kernel_size=2, stride=2)),
    ]))


class DenseNet(nn.Module):
    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4, drop_rate=0,
                 num_classes=1000, memory_efficient=False):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers=num_layers, num_input_features=num_features, bn_size=bn_size,
                                growth_rate=growth_rate, drop_rate=drop_rate, memory_efficient=memory_efficient)
            self.features.add_module("denseblock" + str(i + 1), block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                trans = _Transition(num_input_features=num_features, num_output_features=num_features // 2)
                self.features.add_module("transition" + str(i + 1), trans)
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

    def forward(self, x):
        features = self.features(x)
        out = F.relu(features, inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        out = torch.flatten(out, 1)
        out = self.classifier(out)
        return out


def _densenet(growth_rate, block_config, num_init_features, weights, progress, **kwargs):
    return DenseNet(growth_rate, block_config, num_init_features, **kwargs)


class DenseNet121_Weights(_Weights):
    pass


class DenseNet161_Weights(_Weights):
    pass


class DenseNet169_Weights(_Weights):
    pass


class DenseNet201_Weights(_Weights):
    pass


def densenet121(weights=None, progress=True, pretrained=False, **kwargs):
    return _densenet(32, (6, 12, 24, 16), 64, weights, progress, **kwargs)


def densenet161(weights=None, progress=True, pretrained=False, **kwargs):
    return _densenet(48, (6, 12, 36, 24), 96, weights, progress, **kwargs)


def densenet169(weights=None, progress=True, pretrained=False, **kwargs):
    return _densenet(32, (6, 12, 32, 32), 64, weights, progress, **kwargs)


def densenet201(weights=None, progress=True, pretrained=False, **kwargs):
    return _densenet(32, (6, 12, 48, 32), 64, weights, progress, **kwargs)
