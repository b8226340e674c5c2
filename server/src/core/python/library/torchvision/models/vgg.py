# VGG (Simonyan & Zisserman 2014): stacks of 3x3 convs (optionally with batch norm) separated
# by 2x2 max-pools, then a 7x7 adaptive pool and three fully connected layers.
import torch
from torch import nn
from ._utils import _legacy, _Weights

# the conv widths of configurations A (11 layers), B (13), D (16) and E (19); "M" is a max-pool
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x


def make_layers(cfg, batch_norm=False):
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
    return nn.Sequential(*layers)


def _vgg(cfg, batch_norm, weights, progress, **kwargs):
    if weights is not None:
        # torchvision skips the weight initialisation when weights are loaded
        kwargs["init_weights"] = False
    return VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)


class VGG11_Weights(_Weights):
    pass


class VGG11_BN_Weights(_Weights):
    pass


class VGG13_Weights(_Weights):
    pass


class VGG13_BN_Weights(_Weights):
    pass


class VGG16_Weights(_Weights):
    IMAGENET1K_FEATURES = "IMAGENET1K_FEATURES"


class VGG16_BN_Weights(_Weights):
    pass


class VGG19_Weights(_Weights):
    pass


class VGG19_BN_Weights(_Weights):
    pass


def vgg11(weights=None, progress=True, pretrained=False, **kwargs):
    return _vgg("A", False, _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def vgg11_bn(weights=None, progress=True, pretrained=False, **kwargs):
    return _vgg("A", True, _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def vgg13(weights=None, progress=True, pretrained=False, **kwargs):
    return _vgg("B", False, _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def vgg13_bn(weights=None, progress=True, pretrained=False, **kwargs):
    return _vgg("B", True, _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def vgg16(weights=None, progress=True, pretrained=False, **kwargs):
    return _vgg("D", False, _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def vgg16_bn(weights=None, progress=True, pretrained=False, **kwargs):
    return _vgg("D", True, _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def vgg19(weights=None, progress=True, pretrained=False, **kwargs):
    return _vgg("E", False, _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def vgg19_bn(weights=None, progress=True, pretrained=False, **kwargs):
    return _vgg("E", True, _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)
